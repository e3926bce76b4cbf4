// protoc-gen-gongzhi-ttrpc: writes typed client and server stubs for the services of .proto files.
//
// protoc-gen-swift writes the messages; this plugin writes, for every service, an enum with its names,
// a handler protocol that servers implement (it is an `RPCService` itself), and a client struct.
// Parameters (protoc's `--gongzhi-ttrpc_opt`): `Visibility=Public|Internal` (default Public),
// `ProtoPathModuleMappings=FILE` as for protoc-gen-swift, `RPCModule=NAME` (default GongzhiRPC),
// `RegenerateWith=COMMAND`, the command that the files' header names (default Schemas/generate.sh).

import SwiftProtobuf
import SwiftProtobufPluginLibrary

struct TTRPCStubGenerator: CodeGenerator {
    var supportedFeatures: [Google_Protobuf_Compiler_CodeGeneratorResponse.Feature] { [.proto3Optional] }
    var version: String? { "1.0" }
    var projectURL: String? { nil }
    var copyrightLine: String? { nil }

    func printHelp() {
        print(
            """
            protoc-gen-gongzhi-ttrpc: typed ttrpc client and server stubs for Gongzhi.
            Use with protoc: --plugin=protoc-gen-gongzhi-ttrpc=PATH --gongzhi-ttrpc_out=DIR
            Options: Visibility=Public|Internal, ProtoPathModuleMappings=FILE, RPCModule=NAME,
                     RegenerateWith=COMMAND (named in the generated files' header)
            """
        )
    }

    func generate(
        files: [FileDescriptor],
        parameter: any CodeGeneratorParameter,
        protoCompilerContext: any ProtoCompilerContext,
        generatorOutputs: any GeneratorOutputs
    ) throws {
        var visibility = "public"
        var rpcModule = "GongzhiRPC"
        var regenerateWith = "Schemas/generate.sh"
        var mappings = ProtoFileToModuleMappings()
        for (key, value) in parameter.parsedPairs {
            switch key {
            case "Visibility":
                switch value.lowercased() {
                case "public": visibility = "public"
                case "internal": visibility = "internal"
                default: throw GenerationError.badParameter("Visibility must be Public or Internal, not '\(value)'")
                }
            case "RPCModule":
                rpcModule = value
            case "RegenerateWith":
                regenerateWith = value
            case "ProtoPathModuleMappings":
                mappings = try ProtoFileToModuleMappings(path: value)
            default:
                throw GenerationError.badParameter("unknown option '\(key)'")
            }
        }
        for file in files where !file.services.isEmpty {
            let namer = SwiftProtobufNamer(currentFile: file, protoFileToModuleMappings: mappings)
            var printer = CodePrinter(indent: "    ".unicodeScalars, addNewlines: true)
            var writer = StubWriter(
                file: file,
                namer: namer,
                visibility: visibility,
                rpcModule: rpcModule,
                regenerateWith: regenerateWith
            )
            writer.importedModules = (mappings.neededModules(forFile: file) ?? []).sorted()
            try writer.write(into: &printer)
            let base = file.name.hasSuffix(".proto") ? String(file.name.dropLast(6)) : file.name
            try generatorOutputs.add(fileName: base + ".ttrpc.swift", contents: printer.content)
        }
    }
}

enum GenerationError: Error, CustomStringConvertible {
    case badParameter(String)
    var description: String {
        switch self {
        case .badParameter(let message): "protoc-gen-gongzhi-ttrpc: \(message)"
        }
    }
}

TTRPCStubGenerator.main()
