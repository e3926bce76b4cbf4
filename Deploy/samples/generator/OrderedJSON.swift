/// A JSON value whose objects keep their members in the order they were given, written with two spaces of
/// indentation, so that a configuration file reads in the order a person would write it and is the same bytes on
/// every run.
indirect enum OrderedJSON {
    case string(String)
    /// A number as it is written (an integer here: the files hold no fractions).
    case integer(Int)
    case bool(Bool)
    case array([OrderedJSON])
    case object([(String, OrderedJSON)])

    /// The text, with a newline at the end.
    var text: [UInt8] {
        var output: [UInt8] = []
        write(to: &output, indent: 0)
        output.append(UInt8(ascii: "\n"))
        return output
    }

    private var isScalar: Bool {
        switch self {
        case .string, .integer, .bool: true
        case .array, .object: false
        }
    }

    /// Whether the value is written on one line: scalars, and arrays of scalars.
    private var isInline: Bool {
        switch self {
        case .string, .integer, .bool: true
        case .array(let items): items.allSatisfy(\.isScalar)
        case .object(let members): members.isEmpty
        }
    }

    private func write(to output: inout [UInt8], indent: Int) {
        switch self {
        case .string(let text):
            JSONText.appendString(text, to: &output)
        case .integer(let number):
            output.append(contentsOf: String(number).utf8)
        case .bool(let flag):
            output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .array(let items):
            if isInline {
                output.append(UInt8(ascii: "["))
                for (index, item) in items.enumerated() {
                    if index > 0 { output.append(contentsOf: ", ".utf8) }
                    item.write(to: &output, indent: indent)
                }
                output.append(UInt8(ascii: "]"))
                return
            }
            output.append(contentsOf: "[\n".utf8)
            for (index, item) in items.enumerated() {
                output.append(contentsOf: [UInt8](repeating: UInt8(ascii: " "), count: indent + 2))
                item.write(to: &output, indent: indent + 2)
                output.append(contentsOf: (index + 1 < items.count ? ",\n" : "\n").utf8)
            }
            output.append(contentsOf: [UInt8](repeating: UInt8(ascii: " "), count: indent))
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            if members.isEmpty {
                output.append(contentsOf: "{}".utf8)
                return
            }
            output.append(contentsOf: "{\n".utf8)
            for (index, (key, value)) in members.enumerated() {
                output.append(contentsOf: [UInt8](repeating: UInt8(ascii: " "), count: indent + 2))
                JSONText.appendString(key, to: &output)
                output.append(contentsOf: ": ".utf8)
                value.write(to: &output, indent: indent + 2)
                output.append(contentsOf: (index + 1 < members.count ? ",\n" : "\n").utf8)
            }
            output.append(contentsOf: [UInt8](repeating: UInt8(ascii: " "), count: indent))
            output.append(UInt8(ascii: "}"))
        }
    }
}
