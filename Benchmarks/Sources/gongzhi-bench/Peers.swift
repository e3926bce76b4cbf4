import Foundation

/// One implementation of the echo contract: `BINARY serve --socket PATH` and `BINARY bench-client ...`.
struct Peer: Sendable {
    enum ID: String, CaseIterable, Sendable {
        case gongzhi
        case grpc
        case ttrpc
        case c
    }

    var id: ID
    /// The implementation's name in the table.
    var name: String
    var binary: String

    var isOurs: Bool { self.id == .gongzhi }

    /// Ours serves with the lean `gongzhi-echo-server` beside the `gongzhi-echo` client.
    var serverArgv: [String] {
        guard self.isOurs else { return [self.binary, "serve"] }
        let directory = self.binary.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(
            separator: "/"
        )
        return ["\(directory)/gongzhi-echo-server", "serve"]
    }
    var clientArgv: [String] { [self.binary, "bench-client"] }

    static func displayName(_ id: ID) -> String {
        switch id {
        case .gongzhi: "Gongzhi (ours)"
        case .grpc: "grpc-swift-2 (HTTP/2)"
        case .ttrpc: "Go containerd/ttrpc"
        case .c: "C ping-pong (floor)"
        }
    }
}

/// Where things are and how to build what is missing.
struct Workspace: Sendable {
    /// The Benchmarks package.
    var benchmarksDir: String
    /// The main package, whose `gongzhi-echo` is ours.
    var repoRoot: String
    /// Build products and logs of this runner (inside the gitignored `.build`).
    var outputDir: String
    var build: Bool
    var buildTimeout: Double

    var logsDir: String { "\(self.outputDir)/logs" }

    func logPath(_ name: String) -> String { "\(self.logsDir)/\(name).log" }

    /// Finds or builds the binary of one implementation.
    func prepare(_ id: Peer.ID, explicitPath: String?) throws -> Peer {
        let binary: String
        if let explicitPath {
            binary = explicitPath
        } else {
            switch id {
            case .gongzhi: binary = try self.buildGongzhi()
            case .grpc: binary = try self.findGRPCEcho()
            case .ttrpc: binary = try self.buildTTRPCPeer()
            case .c: binary = try self.buildPingPong()
            }
        }
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw BenchFailure("\(binary) is not an executable file")
        }
        return Peer(id: id, name: Peer.displayName(id), binary: binary)
    }

    private func tool(_ name: String) throws -> String {
        guard let path = findInPath(name) else { throw BenchFailure("\(name) not found in PATH") }
        return path
    }

    /// Finds or builds the binaries of the host benchmark: `explicitDirectory`, or the main package's release
    /// build in `.build-bench`.
    func prepareHost(explicitDirectory: String?) throws -> HostBinaries {
        let binaries: HostBinaries
        if let explicitDirectory {
            binaries = HostBinaries(directory: explicitDirectory)
        } else {
            binaries = HostBinaries(directory: "\(self.mainScratch)/release")
            if self.build { try self.buildMainProducts(HostBinaries.products) }
        }
        try binaries.checkExecutable()
        return binaries
    }

    /// Finds or builds the binaries of the store benchmark: `gongzhi-host` and `gongzhictl` in `.build-bench` (or
    /// `explicitDirectory`), the store client in `.build-bench-store`, and the naive SQLite peer.
    func prepareStore(explicitDirectory: String?, explicitClient: String?) throws -> StoreBinaries {
        let directory = explicitDirectory ?? "\(self.mainScratch)/release"
        var binaries = StoreBinaries(
            host: "\(directory)/gongzhi-host",
            control: "\(directory)/gongzhictl",
            client: explicitClient ?? "\(self.repoRoot)/.build-bench-store/release/gongzhi-store-bench",
            naive: "\(self.outputDir)/peers/sqlite-naive",
            echoServer: "\(directory)/gongzhi-echo-server",
            echoClient: "\(directory)/gongzhi-echo"
        )
        if self.build {
            if explicitDirectory == nil {
                try self.buildMainProducts(["gongzhi-host", "gongzhictl", "gongzhi-echo-server", "gongzhi-echo"])
            }
            if explicitClient == nil { binaries.client = try self.buildStoreClient() }
            try self.buildNaiveSQLite(binaries.naive)
        }
        try binaries.checkExecutable()
        return binaries
    }

    /// Builds `gongzhi-store-bench` from `Benchmarks/store`, release, into `.build-bench-store` at the root.
    private func buildStoreClient() throws -> String {
        let scratch = "\(self.repoRoot)/.build-bench-store"
        do {
            try runToCompletion(
                [
                    try self.tool("swift"), "build", "-c", "release", "--product", "gongzhi-store-bench",
                    "--package-path", "\(self.benchmarksDir)/store", "--scratch-path", scratch,
                ],
                logPath: self.logPath("build-gongzhi-store-bench"),
                timeout: self.buildTimeout,
                collectOutput: false
            )
        } catch let failure as BenchFailure {
            throw BenchFailure("gongzhi-store-bench did not build: \(failure.description)")
        }
        return "\(scratch)/release/gongzhi-store-bench"
    }

    /// Builds the naive SQLite peer against the system's libsqlite3 (libsqlite3-dev).
    private func buildNaiveSQLite(_ binary: String) throws {
        try FileManager.default.createDirectory(atPath: "\(self.outputDir)/peers", withIntermediateDirectories: true)
        let compiler = findInPath("cc") ?? findInPath("gcc") ?? findInPath("clang")
        guard let compiler else { throw BenchFailure("no C compiler (cc, gcc, clang) in PATH") }
        do {
            try runToCompletion(
                [
                    compiler, "-O2", "-Wall", "-Wextra", "-std=c11", "-o", binary,
                    "\(self.benchmarksDir)/c/sqlite-naive.c", "-lsqlite3", "-lpthread",
                ],
                logPath: self.logPath("build-sqlite-naive"),
                timeout: self.buildTimeout,
                collectOutput: false
            )
        } catch let failure as BenchFailure {
            throw BenchFailure(
                "the naive SQLite peer did not build (is libsqlite3-dev installed?): \(failure.description)"
            )
        }
    }

    /// Where ours is built: a scratch folder of its own, so that the release build with the static runtime
    /// never disturbs the main package's `.build`.
    private var mainScratch: String { "\(self.repoRoot)/.build-bench" }

    private func buildGongzhi() throws -> String {
        let binary = "\(self.mainScratch)/release/gongzhi-echo"
        guard self.build else { return binary }
        try self.buildMainProducts(["gongzhi-echo-server", "gongzhi-echo"])
        return binary
    }

    /// Builds products of the main package, release, with the Swift runtime linked in.
    private func buildMainProducts(_ products: [String]) throws {
        let scratch = self.mainScratch
        for product in products {
            do {
                try runToCompletion(
                    [
                        // Built as deployed: the Swift runtime linked in, like the Go peer's static binary.
                        try self.tool("swift"), "build", "-c", "release", "--product", product,
                        "--static-swift-stdlib", "--package-path", self.repoRoot, "--scratch-path", scratch,
                    ],
                    logPath: self.logPath("build-\(product)"),
                    timeout: self.buildTimeout,
                    collectOutput: false
                )
            } catch let failure as BenchFailure {
                throw BenchFailure("\(product) did not build: \(failure.description)")
            }
        }
    }

    private func findGRPCEcho() throws -> String {
        let binary = "\(self.benchmarksDir)/.build/release/grpc-echo"
        guard self.build else {
            // Without a build, prefer the one built beside this runner.
            let beside = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
                .deletingLastPathComponent().appendingPathComponent("grpc-echo").path
            return FileManager.default.isExecutableFile(atPath: beside) ? beside : binary
        }
        do {
            try runToCompletion(
                [
                    try self.tool("swift"), "build", "-c", "release", "--product", "grpc-echo",
                    "--package-path", self.benchmarksDir,
                ],
                logPath: self.logPath("build-grpc-echo"),
                timeout: self.buildTimeout,
                collectOutput: false
            )
        } catch let failure as BenchFailure {
            throw BenchFailure("grpc-echo did not build: \(failure.description)")
        }
        return binary
    }

    private func buildTTRPCPeer() throws -> String {
        let binary = "\(self.outputDir)/peers/ttrpc-peer"
        guard self.build else { return binary }
        let script = "\(self.repoRoot)/Tests/Interop/build-ttrpc-peer.sh"
        guard FileManager.default.fileExists(atPath: script) else {
            throw BenchFailure("Tests/Interop/build-ttrpc-peer.sh is missing")
        }
        try FileManager.default.createDirectory(atPath: "\(self.outputDir)/peers", withIntermediateDirectories: true)
        do {
            try runToCompletion(
                [try self.tool("bash"), script, binary],
                logPath: self.logPath("build-ttrpc-peer"),
                timeout: self.buildTimeout,
                collectOutput: false,
                directory: self.repoRoot
            )
        } catch let failure as BenchFailure {
            throw BenchFailure("Go peer did not build: \(failure.description)")
        }
        return binary
    }

    private func buildPingPong() throws -> String {
        let binary = "\(self.outputDir)/peers/pingpong"
        guard self.build else { return binary }
        try FileManager.default.createDirectory(atPath: "\(self.outputDir)/peers", withIntermediateDirectories: true)
        let compiler = findInPath("cc") ?? findInPath("gcc") ?? findInPath("clang")
        guard let compiler else { throw BenchFailure("no C compiler (cc, gcc, clang) in PATH") }
        try runToCompletion(
            [
                compiler, "-O2", "-Wall", "-Wextra", "-std=c11", "-o", binary,
                "\(self.benchmarksDir)/c/pingpong.c", "-lpthread",
            ],
            logPath: self.logPath("build-pingpong"),
            timeout: self.buildTimeout,
            collectOutput: false
        )
        return binary
    }
}
