// gongzhi-generate: the SwiftPM command that writes a module's messages (protoc-gen-swift) and typed ttrpc
// stubs (protoc-gen-gongzhi-ttrpc) from its .proto files into its own package, so that a module outside this
// repository is written without a fork. In the module's package, with gongzhi-generate.json at its root:
//
//   swift package --allow-writing-to-package-directory gongzhi-generate            write the generated code
//   swift package --allow-writing-to-package-directory gongzhi-generate --check    fail if it is not up to date
//
// Docs/plugin-guide.md walks through it.

import Foundation
import PackagePlugin

@main
struct GongzhiGenerate: CommandPlugin {
    static let regenerateCommand = "swift package --allow-writing-to-package-directory gongzhi-generate"

    static let usage = """
        USAGE: \(regenerateCommand) [--check] [--config FILE] [--target NAME ...]

        Writes the Swift messages and typed ttrpc stubs of a module's .proto files into its targets, as
        gongzhi-generate.json at the package's root lists them.

          --check        write nothing; fail, naming the files, if the generated code is not up to date
          --config FILE  the configuration, relative to the package (default: gongzhi-generate.json)
          --target NAME  only this target (repeatable)

        Needs protoc on PATH (sudo apt-get install protobuf-compiler libprotobuf-dev).
        """

    func performCommand(context: PluginContext, arguments: [String]) async throws {
        var extractor = ArgumentExtractor(arguments)
        if extractor.extractFlag(named: "help") > 0 {
            print(Self.usage)
            return
        }
        let check = extractor.extractFlag(named: "check") > 0
        let configurationName = extractor.extractOption(named: "config").last ?? "gongzhi-generate.json"
        let onlyTargets = Set(extractor.extractOption(named: "target"))
        guard extractor.remainingArguments.isEmpty else {
            throw GenerationError(
                "unknown arguments: \(extractor.remainingArguments.joined(separator: " "))\n\n\(Self.usage)"
            )
        }

        let package = context.package
        let packageFolder = package.directoryURL
        let configurationURL = packageFolder.appendingPathComponent(configurationName)
        let configuration = try GenerationConfiguration.load(from: configurationURL)
        let unknownTargets = onlyTargets.subtracting(configuration.modules.map(\.target))
        guard unknownTargets.isEmpty else {
            throw GenerationError(
                "\(configurationName) has no module for --target \(unknownTargets.sorted().joined(separator: ", "))"
                    + "; it lists \(configuration.modules.map(\.target).joined(separator: ", "))"
            )
        }

        let schemas = try Self.gongzhiSchemas(from: package)
        let protoc = try ProtocCommand.find()
        let protoFolders = try configuration.protoPaths.map { path in
            let folder = packageFolder.appendingPathComponent(path)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory),
                isDirectory.boolValue
            else {
                throw GenerationError("\(configurationName): the proto path \(path) is not a folder of the package")
            }
            return folder
        }
        let includeFolders = protoFolders + [schemas, try protoc.wellKnownTypesFolder()]

        let work = context.pluginWorkDirectoryURL.appendingPathComponent("gongzhi-generate")
        try? FileManager.default.removeItem(at: work)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let mappings = work.appendingPathComponent("module-mappings.textproto")
        try Self.moduleMappings(gongzhi: schemas, modules: configuration.modules)
            .write(to: mappings, atomically: true, encoding: .utf8)

        let swiftGenerator = try buildGenerator("protoc-gen-swift")
        let stubGenerator = try buildGenerator("protoc-gen-gongzhi-ttrpc")

        var stale: [String] = []
        for module in configuration.modules where onlyTargets.isEmpty || onlyTargets.contains(module.target) {
            let output = try Self.outputFolder(for: module, in: package, configurationName: configurationName)
            for proto in module.protos
            where !protoFolders.contains(where: {
                FileManager.default.fileExists(atPath: $0.appendingPathComponent(proto).path)
            }) {
                throw GenerationError(
                    "\(configurationName): \(proto) (of \(module.target)) is in none of the proto paths "
                        + configuration.protoPaths.joined(separator: ", ")
                )
            }
            let fresh = work.appendingPathComponent(module.target)
            try FileManager.default.createDirectory(at: fresh, withIntermediateDirectories: true)
            let visibility = module.visibility == "internal" ? "Internal" : "Public"
            let options = "Visibility=\(visibility),ProtoPathModuleMappings=\(mappings.path)"
            try protoc.run(
                includeFolders.map { "--proto_path=\($0.path)" } + [
                    "--plugin=protoc-gen-swift=\(swiftGenerator.path)",
                    "--plugin=protoc-gen-gongzhi-ttrpc=\(stubGenerator.path)",
                    "--swift_opt=\(options)",
                    "--swift_out=\(fresh.path)",
                    "--gongzhi-ttrpc_opt=\(options),RegenerateWith=\(Self.regenerateCommand)",
                    "--gongzhi-ttrpc_out=\(fresh.path)",
                ] + module.protos
            )

            let folder = GeneratedFolder(url: output)
            let difference = try folder.difference(from: fresh)
            let shown = Self.relative(output, to: packageFolder)
            if check {
                if difference.isEmpty {
                    print(
                        "gongzhi-generate: \(module.target) is up to date (\(difference.unchanged) files in \(shown))"
                    )
                } else {
                    stale.append("\(module.target) (\(shown)):\n" + difference.lines.joined(separator: "\n"))
                }
            } else {
                try folder.update(from: fresh, difference: difference)
                print(
                    "gongzhi-generate: \(module.target): \(difference.added.count) added, "
                        + "\(difference.changed.count) changed, \(difference.removed.count) removed, "
                        + "\(difference.unchanged) unchanged in \(shown)"
                )
            }
        }
        if !stale.isEmpty {
            throw GenerationError(
                "the generated code differs from what the .proto files produce:\n"
                    + stale.joined(separator: "\n")
                    + "\nrun `\(Self.regenerateCommand)` and commit the result"
            )
        }
    }

    /// Builds a generator (a product of Gongzhi or of swift-protobuf) in debug, and returns its executable.
    func buildGenerator(_ product: String) throws -> URL {
        print("gongzhi-generate: building \(product)")
        let result = try packageManager.build(
            .product(product),
            parameters: PackageManager.BuildParameters(configuration: .debug, logging: .concise)
        )
        guard result.succeeded else {
            throw GenerationError("building \(product) failed:\n\(result.logText)")
        }
        guard
            let executable = result.builtArtifacts.first(where: {
                $0.kind == .executable && $0.url.lastPathComponent == product
            })
        else {
            throw GenerationError("building \(product) produced no executable named \(product)")
        }
        return executable.url
    }

    /// Gongzhi's `Schemas/` folder, from the package that holds it: this package or one of its dependencies.
    static func gongzhiSchemas(from root: Package) throws -> URL {
        var queue = [root]
        var seen: Set<String> = []
        while !queue.isEmpty {
            let package = queue.removeFirst()
            guard seen.insert(package.id).inserted else { continue }
            let schemas = package.directoryURL.appendingPathComponent("Schemas")
            let options = schemas.appendingPathComponent("gongzhi/core/v1/options.proto")
            let mappings = schemas.appendingPathComponent("module-mappings.textproto")
            if FileManager.default.fileExists(atPath: options.path),
                FileManager.default.fileExists(atPath: mappings.path)
            {
                return schemas
            }
            queue += package.dependencies.map(\.package)
        }
        throw GenerationError(
            "none of \(root.displayName)'s dependencies holds Gongzhi's Schemas/ folder; "
                + "add Gongzhi to the package's dependencies"
        )
    }

    /// Gongzhi's mappings from `.proto` file to Swift module, and the configured modules' own.
    static func moduleMappings(gongzhi schemas: URL, modules: [GenerationConfiguration.Module]) throws -> String {
        var text = try String(
            contentsOf: schemas.appendingPathComponent("module-mappings.textproto"),
            encoding: .utf8
        )
        for module in modules {
            text += "mapping {\n  module_name: \"\(module.target)\"\n"
            for proto in module.protos { text += "  proto_file_path: \"\(proto)\"\n" }
            text += "}\n"
        }
        return text
    }

    /// The folder a module's generated files go to: `output` if given, else the target's `Generated` folder.
    /// A target without Swift files yet (before the first generation) is not among the package's targets; its
    /// folder is then `Sources/NAME`, which must exist.
    static func outputFolder(
        for module: GenerationConfiguration.Module,
        in package: Package,
        configurationName: String
    ) throws -> URL {
        let targetFolder: URL
        if let target = package.targets.first(where: { $0.name == module.target }) {
            guard let swiftTarget = target as? SwiftSourceModuleTarget else {
                throw GenerationError("\(configurationName): \(module.target) is not a Swift target")
            }
            targetFolder = swiftTarget.directoryURL.standardizedFileURL
        } else {
            let conventional = package.directoryURL.appendingPathComponent("Sources/\(module.target)")
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: conventional.path, isDirectory: &isDirectory),
                isDirectory.boolValue
            else {
                let names = package.targets.map(\.name).sorted().joined(separator: ", ")
                throw GenerationError(
                    "\(configurationName): the package has no target \(module.target) (its targets with sources "
                        + "are \(names)); declare it in Package.swift and create its folder Sources/\(module.target)"
                )
            }
            targetFolder = conventional.standardizedFileURL
        }
        guard let output = module.output else {
            return targetFolder.appendingPathComponent("Generated")
        }
        let folder = package.directoryURL.appendingPathComponent(output).standardizedFileURL
        guard folder.path == targetFolder.path || folder.path.hasPrefix(targetFolder.path + "/") else {
            throw GenerationError(
                "\(configurationName): the output \(output) of \(module.target) is outside the target's folder "
                    + Self.relative(targetFolder, to: package.directoryURL)
                    + ", so the target would not compile it"
            )
        }
        return folder
    }

    static func relative(_ url: URL, to base: URL) -> String {
        let path = url.standardizedFileURL.path
        let prefix = base.standardizedFileURL.path + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
}
