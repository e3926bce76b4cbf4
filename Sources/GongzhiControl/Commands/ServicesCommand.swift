import ArgumentParser
import GongzhiDocuments
import GongzhiSchemas

extension GongzhiControl {
    /// `gongzhictl services`.
    struct Services: AdminCommand {
        static let access = HostAccess.administration
        static let configuration = CommandConfiguration(
            abstract: "List the services the host serves, its own and its plugins', for gongzhictl call.",
            discussion: """
                One row a service: its full name, the plugin that serves it (host for the host's own), whether \
                calls reach it now, its number of methods, and whether its plugin registered descriptors \
                (gongzhictl call needs them). gongzhictl describe service NAME shows a service's methods and \
                messages; -o json prints {"services": [...]} with each service's methods.
                """
        )

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let services = try await invocation.withHost { client in
                try await Gongzhi_Host_V1_AdminClient(channel: client)
                    .listServices(Gongzhi_Host_V1_ListServicesRequest(), options: invocation.callOptions).services
            }
            invocation.printObjects(
                human: { _ in ServiceOutput.table(services) },
                document: { ServiceOutput.document(services) }
            )
        }
    }
}
