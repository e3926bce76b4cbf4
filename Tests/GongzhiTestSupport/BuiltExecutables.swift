import Foundation

/// Finds the executables that `swift build` put beside the test bundle.
public enum BuiltExecutables {
    /// The folder holding this build's products.
    public static var binDirectory: URL {
        if let override = ProcessInfo.processInfo.environment["GONGZHI_BIN_DIR"] {
            return URL(fileURLWithPath: override)
        }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("gongzhi-echo").path) {
                return url
            }
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }

    /// The path of a product, failing with a message that says how to build it.
    public static func path(_ name: String) throws -> String {
        let path = binDirectory.appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestSupportError("\(name) is not built at \(path); run `swift build --build-tests` first")
        }
        return path
    }
}

public struct TestSupportError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
