// acme-repairs-client: calls the repairs module through the host with an API token, as a front end would,
// with the typed client that gongzhi-generate wrote. Prints each answer as a line of JSON.
//
//   GONGZHI_HOST_SOCKET=/run/gongzhi/host.sock GONGZHI_TOKEN=gzt_… acme-repairs-client report B-0001 电梯停运 王阿姨 13900001111
//   GONGZHI_HOST_SOCKET=/run/gongzhi/host.sock GONGZHI_TOKEN=gzt_… acme-repairs-client open B-0001

import AcmeRepairsSchemas
import GongzhiRPC
import GongzhiRPCPosix
import SwiftProtobuf

#if canImport(Glibc)
import Glibc
#endif

func fail(_ message: String, status: Int32) -> Never {
    let line = Array("acme-repairs-client: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    exit(status)
}

let usage = "usage: acme-repairs-client report BUILDING PROBLEM NAME PHONE | open BUILDING"
let arguments = Array(CommandLine.arguments.dropFirst())
guard let socket = getenv("GONGZHI_HOST_SOCKET").map({ String(cString: $0) }), !socket.isEmpty else {
    fail("GONGZHI_HOST_SOCKET is not set; set it to the host's host.sock", status: 2)
}
guard let token = getenv("GONGZHI_TOKEN").map({ String(cString: $0) }), !token.isEmpty else {
    fail("GONGZHI_TOKEN is not set; an administrator issues one with gongzhictl tokens issue", status: 2)
}

let connection = RPCClient(socketPath: socket)
let repairs = Acme_Repairs_V1_RepairsClient(channel: connection.addingMetadata(["gongzhi-token": token]))
let options = CallOptions(timeout: .seconds(10))
do {
    switch (arguments.first, arguments.count) {
    case ("report", 5):
        var request = Acme_Repairs_V1_ReportRequest()
        request.building = arguments[1]
        request.problem = arguments[2]
        request.reporterName = arguments[3]
        request.reporterPhone = arguments[4]
        print(try await repairs.report(request, options: options).jsonString())
    case ("open", 2):
        var request = Acme_Repairs_V1_ListOpenRequest()
        request.building = arguments[1]
        try await repairs.listOpen(request, options: options) { answers in
            for try await repair in answers { print(try repair.jsonString()) }
        }
    default:
        await connection.close()
        fail(usage, status: 2)
    }
    await connection.close()
} catch {
    await connection.close()
    fail("\(error)", status: 1)
}
