import Foundation

/// What `gongzhi-generate.json`, at the root of a module's package, asks for: where the `.proto` files are,
/// and which Swift target gets the messages and stubs of which of them.
///
/// ```json
/// {
///   "protoPaths": ["Protos"],
///   "modules": [
///     { "target": "AcmeRepairsSchemas", "protos": ["acme/repairs/v1/repairs.proto"] }
///   ]
/// }
/// ```
struct GenerationConfiguration: Decodable {
    /// Folders, relative to the package, that hold the `.proto` files (protoc's `--proto_path`).
    /// Gongzhi's own `Schemas/` folder is added after them, so `import "gongzhi/core/v1/options.proto"` works.
    var protoPaths: [String]
    var modules: [Module]

    /// One Swift target and the `.proto` files whose code goes into it.
    struct Module: Decodable {
        /// The name of a Swift target of the package.
        var target: String
        /// Paths relative to one of `protoPaths`, as in an `import` line: `acme/repairs/v1/repairs.proto`.
        var protos: [String]
        /// Where the generated files go, relative to the package; the target's `Generated` folder when absent.
        var output: String?
        /// `public` (the default) or `internal`.
        var visibility: String?
    }

    /// Reads and checks the file, with errors that name the file and what to change.
    static func load(from url: URL) throws -> GenerationConfiguration {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw GenerationError(
                """
                no configuration at \(url.path). Write one naming your .proto files and the target that gets \
                their code, e.g.
                  {"protoPaths": ["Protos"], "modules": [{"target": "AcmeRepairsSchemas", \
                "protos": ["acme/repairs/v1/repairs.proto"]}]}
                """
            )
        }
        let configuration: GenerationConfiguration
        do {
            configuration = try JSONDecoder().decode(GenerationConfiguration.self, from: data)
        } catch let error as DecodingError {
            throw GenerationError("\(url.path): \(Self.describe(error))")
        }
        if configuration.protoPaths.isEmpty {
            throw GenerationError("\(url.path): protoPaths is empty; name the folder that holds your .proto files")
        }
        if configuration.modules.isEmpty {
            throw GenerationError("\(url.path): modules is empty; name a target and its .proto files")
        }
        for (index, module) in configuration.modules.enumerated() {
            if module.protos.isEmpty {
                throw GenerationError("\(url.path): modules[\(index)] (\(module.target)) lists no protos")
            }
            if let visibility = module.visibility, !["public", "internal"].contains(visibility) {
                throw GenerationError(
                    "\(url.path): modules[\(index)].visibility is \"\(visibility)\"; use \"public\" or \"internal\""
                )
            }
        }
        return configuration
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }
            let joined = keys.joined()
            return joined.hasPrefix(".") ? String(joined.dropFirst()) : joined
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return "\(parent.isEmpty ? "" : parent + ": ")the key \"\(key.stringValue)\" is missing"
        case .typeMismatch(let type, let context):
            return "\(path(context)): expected \(Self.jsonName(of: type))"
        case .valueNotFound(let type, let context):
            return "\(path(context)): expected \(Self.jsonName(of: type)), found null"
        case .dataCorrupted(let context):
            let underlying = context.underlyingError.map { " (\($0.localizedDescription))" } ?? ""
            return "not valid JSON\(underlying)"
        @unknown default:
            return "\(error)"
        }
    }

    private static func jsonName(of type: Any.Type) -> String {
        if type == String.self { return "a string" }
        if type is [Any].Type { return "an array" }
        return "an object"
    }
}
