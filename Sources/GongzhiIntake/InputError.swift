/// Why an input or a mapping file was refused: a stable code for programs (`json.syntax`, `field.type`,
/// `csv.quote`, …), a message for people that names the place but never quotes personal data, and the line and
/// column (1-based; 0 when unknown) where the problem lies.
public struct InputError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Stable, for programs and for a dead letter's `reason_code`.
    public var code: String
    /// For people: what is wrong and what was expected.
    public var message: String
    /// The 1-based line of the problem, 0 when the input has no lines.
    public var line: Int
    /// The 1-based column (in characters) of the problem, 0 when unknown.
    public var column: Int

    public init(code: String, message: String, line: Int = 0, column: Int = 0) {
        self.code = code
        self.message = message
        self.line = line
        self.column = column
    }

    /// `line 3, column 17: "value" must be a number`, or the message alone when there is no place.
    public var description: String {
        switch (line, column) {
        case (0, _): return message
        case (_, 0): return "line \(line): \(message)"
        default: return "line \(line), column \(column): \(message)"
        }
    }
}
