import GongzhiPluginSDK
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport

#if canImport(Glibc)
import Glibc
#endif

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What the test plugin does with the host's object store, chosen by `TEST_PLUGIN_OBJECTS` (a comma list):
///
///   register-note     registers the kind `Note` (message gongzhi.test.v1.Note: text = 1, count = 2 (int64),
///                     secret = 3 (sensitive)) before it serves
///   record-residents  follows every change of Resident objects and appends one line per change to
///                     `<data dir>/residents.log` — `list REVISION` when it starts from a list, then
///                     `REVISION TYPE ID` — resuming after the last recorded revision when it restarts
enum ObjectBehaviors {
    static let variable = "TEST_PLUGIN_OBJECTS"

    static func start(_ context: PluginContext) async throws {
        let wanted = Set((PluginEnvironment.processVariable(variable) ?? "").split(separator: ",").map(String.init))
        if wanted.contains("register-note") {
            try await context.objects.registerKind(
                "Note",
                messageName: "gongzhi.test.v1.Note",
                fileDescriptorSet: try TestDescriptors.note()
            )
            context.logger.info("registered kind Note")
        }
        if wanted.contains("record-residents") {
            let path = context.dataDirectory + "/residents.log"
            let objects = context.objects
            let logger = context.logger
            Task {
                do {
                    try await recordResidents(objects: objects, path: path)
                } catch {
                    logger.error("record-residents stopped: \(error)")
                }
            }
        }
    }

    private static func recordResidents(objects: HostObjects, path: String) async throws {
        let existing = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw RPCError(code: .internal, message: "cannot open \(path)") }
        func append(_ line: String) {
            var text = line + "\n"
            text.withUTF8 { _ = write(fd, $0.baseAddress, $0.count) }
        }
        var after: Int64
        if let last = existing.split(separator: "\n").last {
            let fields = last.split(separator: " ")
            after = Int64(fields.count == 2 ? fields[1] : fields[0]) ?? 0
        } else {
            after = try await objects.list(Gongzhi_Core_V1_Resident.self).revision
            append("list \(after)")
        }
        while !Task.isCancelled {
            do {
                for try await event in objects.watch(Gongzhi_Core_V1_Resident.self, after: after) {
                    append("\(event.revision) \(event.change) \(event.object.id)")
                    after = event.revision
                }
            } catch let error as RPCError where error.code == .unavailable {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}
