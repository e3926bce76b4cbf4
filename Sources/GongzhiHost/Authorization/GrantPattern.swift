/// A permission to call methods: `SERVICE/METHOD`, where SERVICE is a full name or a prefix ending
/// in `*` (`gongzhi.grid.v1.*`), and METHOD a name or `*`. `SERVICE` alone means `SERVICE/*`, and `*`
/// alone allows everything.
public struct GrantPattern: Hashable, Sendable, CustomStringConvertible {
    public let service: String
    public let method: String

    public struct ParseError: Error, Sendable {
        public var message: String
    }

    /// Everything: what administrators hold.
    package static let all = GrantPattern(service: "*", method: "*")

    private init(service: String, method: String) {
        self.service = service
        self.method = method
    }

    public init(parsing text: String) throws(ParseError) {
        if text == "*" {
            self = .all
            return
        }
        var parts = text.split(separator: "/", omittingEmptySubsequences: false)
        // A service name alone (or a prefix such as `gongzhi.grid.v1.*`) means all of its methods.
        if parts.count == 1 { parts.append("*") }
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw ParseError(
                message: "\"\(text)\" is not a grant; write SERVICE/METHOD, e.g. \"gongzhi.grid.v1.GridService/*\""
            )
        }
        let service = String(parts[0])
        let method = String(parts[1])
        if let star = service.firstIndex(of: "*"), star != service.index(before: service.endIndex) {
            throw ParseError(message: "\"\(text)\": * may only end the service name")
        }
        if method.contains("*") && method != "*" {
            throw ParseError(message: "\"\(text)\": the method is a name or *")
        }
        let allowed =
            service.allSatisfy { $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "*" }
            && method.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "*" }
        guard allowed else {
            throw ParseError(message: "\"\(text)\" has characters a service or method name cannot have")
        }
        self.service = service
        self.method = method
    }

    public var description: String { self == .all ? "*" : "\(service)/\(method)" }

    /// True when this pattern allows calling `method` of `service`.
    package func allows(service name: String, method methodName: String) -> Bool {
        guard method == "*" || method == methodName else { return false }
        if service.hasSuffix("*") { return name.hasPrefix(service.dropLast()) }
        return service == name
    }

    /// True when everything `other` allows, this pattern allows too.
    package func covers(_ other: GrantPattern) -> Bool {
        guard method == "*" || method == other.method else { return false }
        if service.hasSuffix("*") {
            let prefix = service.dropLast()
            return other.service.hasPrefix(prefix)
        }
        return !other.service.hasSuffix("*") && service == other.service
    }
}

/// The grants a principal holds.
package struct GrantSet: Sendable, Equatable {
    package var patterns: [GrantPattern]

    package init(_ patterns: [GrantPattern]) {
        self.patterns = patterns
    }

    package static let everything = GrantSet([.all])
    package static let none = GrantSet([])

    package func allows(service: String, method: String) -> Bool {
        patterns.contains { $0.allows(service: service, method: method) }
    }

    /// The requested patterns that some approved pattern covers: what a plugin ends up holding.
    package static func effective(requested: [GrantPattern], approved: [GrantPattern]) -> [GrantPattern] {
        requested.filter { request in approved.contains { $0.covers(request) } }
    }
}
