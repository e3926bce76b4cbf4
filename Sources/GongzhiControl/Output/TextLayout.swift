/// Aligned text for people: tables with a header row, and `key: value` blocks.
///
/// Widths are terminal columns, so Chinese text (two columns a character) lines up too. Cells are kept
/// on one line: line breaks and tabs in what the host sends become spaces.
public enum TextLayout {
    /// Columns separated by two spaces, each as wide as its widest cell; the last column is not padded,
    /// so no line ends in spaces. Ends with a newline.
    public static func table(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows.map { row in row.map(oneLine) }
        var widths = [Int](repeating: 0, count: header.count)
        for row in all {
            for (column, cell) in row.enumerated() where column < widths.count {
                widths[column] = max(widths[column], displayWidth(cell))
            }
        }
        var text = ""
        for row in all {
            var line = ""
            for (column, cell) in row.enumerated() {
                if column == row.count - 1 {
                    line += cell
                } else {
                    line += cell + String(repeating: " ", count: widths[column] - displayWidth(cell) + 2)
                }
            }
            text += trimmingTrailingSpaces(line) + "\n"
        }
        return text
    }

    /// `key:` labels padded to one width, then the values; a value with several lines (a list) continues
    /// under the first, and an empty list reads `none`. Ends with a newline.
    public static func fields(_ fields: [(key: String, values: [String])]) -> String {
        let labelWidth = (fields.map { displayWidth($0.key) }.max() ?? 0) + 3
        var text = ""
        for field in fields {
            let values = field.values.isEmpty ? ["none"] : field.values.map(oneLine)
            for (index, value) in values.enumerated() {
                let label = index == 0 ? field.key + ":" : ""
                let line = label + String(repeating: " ", count: labelWidth - displayWidth(label)) + value
                text += trimmingTrailingSpaces(line) + "\n"
            }
        }
        return text
    }

    /// The text with line breaks, tabs and other control characters replaced by spaces.
    public static func oneLine(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return text }
        return String(
            String.UnicodeScalarView(
                text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }
            )
        )
    }

    /// How many terminal columns the text takes: two for East Asian wide and full-width characters and
    /// emoji, none for zero-width ones, one for the rest.
    public static func displayWidth(_ text: String) -> Int {
        var width = 0
        for character in text {
            guard let scalar = character.unicodeScalars.first else { continue }
            width += columns(of: scalar)
        }
        return width
    }

    private static func columns(of scalar: Unicode.Scalar) -> Int {
        let value = scalar.value
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format, .control: return 0
        default: break
        }
        if scalar.properties.isEmojiPresentation { return 2 }
        let wideRanges: [ClosedRange<UInt32>] = [
            0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
            0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
            0xFFE0...0xFFE6, 0x20000...0x2FFFD, 0x30000...0x3FFFD,
        ]
        return wideRanges.contains { $0.contains(value) } ? 2 : 1
    }

    private static func trimmingTrailingSpaces(_ line: String) -> String {
        var line = Substring(line)
        while line.last == " " { line.removeLast() }
        return String(line)
    }

    /// Bytes in binary units with one decimal: `512 B`, `14.2 MiB`, `1.0 GiB`.
    public static func bytes(_ count: UInt64) -> String {
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        guard count >= 1024 else { return "\(count) B" }
        var unit: UInt64 = 1024
        var index = 0
        while index + 1 < units.count && count / unit >= 1024 {
            unit *= 1024
            index += 1
        }
        // Tenths of the unit, rounded half up, without overflowing for the largest counts.
        let whole = count / unit
        let tenths = ((count % unit) * 10 + unit / 2) / unit
        let (shownWhole, shownTenth) = tenths >= 10 ? (whole + 1, UInt64(0)) : (whole, tenths)
        return "\(shownWhole).\(shownTenth) \(units[index])"
    }

    /// `30000` → `30,000`.
    public static func grouped(_ number: Int) -> String {
        let digits = String(number.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return (number < 0 ? "-" : "") + out
    }
}
