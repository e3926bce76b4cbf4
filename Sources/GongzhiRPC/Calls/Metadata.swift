/// Call metadata: an ordered list of string key/value pairs, as ttrpc carries them.
///
/// Keys are case-insensitive and kept in lower case, as in gRPC (Go ttrpc looks keys up in lower case).
/// A key may appear more than once; `subscript` answers the first value.
public struct Metadata: Hashable, Sendable, ExpressibleByDictionaryLiteral, Sequence, CustomStringConvertible {
    public struct Entry: Hashable, Sendable {
        public var key: String
        public var value: String
        public init(key: String, value: String) {
            self.key = key.lowercased()
            self.value = value
        }
    }

    public private(set) var entries: [Entry]

    public init() { self.entries = [] }
    public init(_ entries: [Entry]) { self.entries = entries }
    public init(dictionaryLiteral elements: (String, String)...) {
        self.entries = elements.map { Entry(key: $0.0, value: $0.1) }
    }

    public var isEmpty: Bool { entries.isEmpty }
    public var count: Int { entries.count }

    /// The first value for `key`. Setting replaces every value of the key with one, or removes it.
    public subscript(key: String) -> String? {
        get {
            let key = key.lowercased()
            return entries.first(where: { $0.key == key })?.value
        }
        set {
            let key = key.lowercased()
            entries.removeAll { $0.key == key }
            if let newValue { entries.append(Entry(key: key, value: newValue)) }
        }
    }

    /// Every value of `key`, in order.
    public func values(for key: String) -> [String] {
        let key = key.lowercased()
        return entries.lazy.filter { $0.key == key }.map(\.value)
    }

    /// Adds a value, keeping any others of the same key.
    public mutating func add(_ key: String, _ value: String) {
        entries.append(Entry(key: key, value: value))
    }

    /// Removes every value of `key`.
    public mutating func remove(_ key: String) {
        let key = key.lowercased()
        entries.removeAll { $0.key == key }
    }

    public func makeIterator() -> IndexingIterator<[Entry]> { entries.makeIterator() }

    public var description: String {
        "[" + entries.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "]"
    }
}
