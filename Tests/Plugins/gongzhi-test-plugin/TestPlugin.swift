// gongzhi-test-plugin: a plugin for the host's end-to-end tests. It serves gongzhi.test.v1.Echo and
// gongzhi.test.v1.Probe under whatever name GONGZHI_PLUGIN_NAME gives it, and misbehaves on request:
//
//   TEST_PLUGIN_BEHAVIOR    unset or normal   behaves
//                           crash-on-start    exits with status 3 before serving
//                           leak-token        writes its token to <data dir>/token and never registers
//                           wrong-version     registers with version 9.9.9
//                           unhealthy         answers Health with NOT_SERVING
//                           ignore-shutdown   answers Shutdown but never stops; ignores SIGTERM and SIGINT
//                           slow-register     waits 30 s before serving and registering
//   TEST_PLUGIN_SERVICE_SUFFIX  serve gongzhi.test.v1.Echo<suffix> and gongzhi.test.v1.Probe<suffix> instead,
//                               so that several copies can run under one host (a service has one plugin)
//
//   TEST_PLUGIN_OBJECTS    what it does with the object store (see ObjectBehaviors.swift)
//   TEST_PLUGIN_JOURNAL    when set, writes each Echo/Unary call's start and end to <data dir>/calls.log
//                          (see JournaledEcho.swift)
//
// Probe/TryEscapes tries to get around the host's isolation and reports each attempt (see EscapeAttempts.swift).
//
// (The host passes only the GONGZHI_ variables it sets itself, and the variables the configuration
// gives a plugin, which cannot start with GONGZHI_.)

import GongzhiEcho
import GongzhiPluginSDK
import GongzhiRPC

#if canImport(Glibc)
import Glibc
#endif

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The ways the test plugin can misbehave, chosen by `TEST_PLUGIN_BEHAVIOR`.
enum TestBehavior: String, CaseIterable, Sendable {
    case normal
    case crashOnStart = "crash-on-start"
    case leakToken = "leak-token"
    case wrongVersion = "wrong-version"
    case unhealthy
    case ignoreShutdown = "ignore-shutdown"
    case slowRegister = "slow-register"

    static let variable = "TEST_PLUGIN_BEHAVIOR"
    static let serviceSuffix = "TEST_PLUGIN_SERVICE_SUFFIX"
}

@main
struct TestPlugin {
    static func main() async {
        // Before anything is opened: what came from the host (see EscapeAttempts.swift).
        _ = InheritedDescriptors.atStart
        let arguments = CommandLine.arguments
        if arguments.count == 3 && arguments[1] == EscapeAttempts.issueTokenArgument {
            await EscapeAttempts.runIssueTokenCopy(socket: arguments[2])
        }
        let text = PluginEnvironment.processVariable(TestBehavior.variable) ?? ""
        guard let behavior = text.isEmpty ? .normal : TestBehavior(rawValue: text) else {
            let known = TestBehavior.allCases.map(\.rawValue).joined(separator: ", ")
            fail("\(TestBehavior.variable)=\(text) is not one of \(known)", status: 2)
        }
        if behavior == .crashOnStart {
            fail("crash-on-start: exiting with status 3 before serving", status: 3)
        }
        let name = PluginEnvironment.processVariable(PluginEnvironment.Variable.name) ?? "gongzhi-test-plugin"
        let version = behavior == .wrongVersion ? "9.9.9" : "1.0.0"

        await Plugin.main(name: name, version: version) { context in
            switch behavior {
            case .leakToken:
                let path = context.dataDirectory + "/token"
                let token = PluginEnvironment.processVariable(PluginEnvironment.Variable.token) ?? ""
                try Data(token.utf8).write(to: URL(filePath: path))
                context.logger.warning("leak-token: wrote the token to \(path); not registering")
                await sleepForever()
            case .slowRegister:
                context.logger.notice("slow-register: waiting 30 s before registering")
                try await Task.sleep(for: .seconds(30))
            case .unhealthy:
                context.setHealthCheck { .notServing("\(TestBehavior.variable)=unhealthy") }
            case .ignoreShutdown:
                let logger = context.logger
                context.onStop { reason in
                    logger.warning("ignore-shutdown: not stopping", metadata: ["reason": "\(reason)"])
                    await sleepForever()
                }
            case .normal, .crashOnStart, .wrongVersion:
                break
            }
            try await ObjectBehaviors.start(context)
            let suffix = PluginEnvironment.processVariable(TestBehavior.serviceSuffix) ?? ""
            let journaled = !(PluginEnvironment.processVariable(JournaledEcho.variable) ?? "").isEmpty
            let echo: any RPCService =
                journaled
                ? JournaledEcho(journal: try CallJournal(path: context.dataDirectory + "/calls.log")) : EchoService()
            let services: [any RPCService] = [echo, ProbeService(host: context.host)]
            guard !suffix.isEmpty else { return services }
            return services.map {
                RPCServiceDefinition(serviceName: $0.serviceName + suffix, methodHandlers: $0.methodHandlers)
            }
        }
    }

    private static func fail(_ message: String, status: Int32) -> Never {
        var line = "error: gongzhi-test-plugin: \(message)\n"
        line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
        exit(status)
    }
}

/// Waits until the process is killed.
func sleepForever() async -> Never {
    while true {
        try? await Task.sleep(for: .seconds(3600))
    }
}
