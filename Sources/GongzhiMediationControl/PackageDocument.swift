/// The judicial confirmation package as one printable HTML file: the joint application and the agreement, each
/// a document of its own from the plugin, one after the other, the agreement starting on a new page.
enum PackageDocument {
    /// One document holding the bodies of `application` and `agreement` (with the styles of their heads).
    static func html(application: String, agreement: String, title: String) -> String {
        let parts = [Part(application), Part(agreement)]
        var out = "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
        out += "<title>\(escaped(title))</title>\n"
        for part in parts { out += part.styles.joined(separator: "\n") + (part.styles.isEmpty ? "" : "\n") }
        out +=
            "<style>.gongzhi-package-part + .gongzhi-package-part { break-before: page; page-break-before: always; }"
            + "</style>\n</head>\n<body>\n"
        for part in parts { out += "<section class=\"gongzhi-package-part\">\n\(part.body)\n</section>\n" }
        return out + "</body>\n</html>\n"
    }

    /// What a document brings to the package: the `<style>` elements of its head, and the inside of its body
    /// (the whole text when it has no body element).
    struct Part {
        var styles: [String]
        var body: String

        init(_ html: String) {
            let bytes = Array(html.utf8)
            var styles: [String] = []
            let headEnd = find("</head", in: bytes, from: 0)
            var index = 0
            while let start = find("<style", in: bytes, from: index), headEnd.map({ start < $0 }) ?? true,
                let close = find("</style>", in: bytes, from: start)
            {
                let end = close + "</style>".utf8.count
                styles.append(String(decoding: bytes[start..<end], as: UTF8.self))
                index = end
            }
            self.styles = styles
            if let open = find("<body", in: bytes, from: 0),
                let tagEnd = bytes[open...].firstIndex(of: UInt8(ascii: ">"))
            {
                let close = find("</body", in: bytes, from: tagEnd) ?? bytes.count
                body = String(decoding: bytes[(tagEnd + 1)..<close], as: UTF8.self)
            } else if let headEnd, let tagEnd = bytes[headEnd...].firstIndex(of: UInt8(ascii: ">")) {
                let close = find("</html", in: bytes, from: tagEnd) ?? bytes.count
                body = String(decoding: bytes[(tagEnd + 1)..<close], as: UTF8.self)
            } else {
                body = html
            }
        }
    }

    /// Where `needle` (ASCII, lower-case) first stands in `bytes` at or after `start`, ignoring ASCII case.
    static func find(_ needle: String, in bytes: [UInt8], from start: Int) -> Int? {
        let pattern = Array(needle.utf8)
        guard !pattern.isEmpty, bytes.count >= pattern.count, start <= bytes.count - pattern.count else { return nil }
        for index in start...(bytes.count - pattern.count) {
            var matches = true
            for (offset, expected) in pattern.enumerated() {
                var byte = bytes[index + offset]
                if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") { byte += 32 }
                if byte != expected {
                    matches = false
                    break
                }
            }
            if matches { return index }
        }
        return nil
    }

    private static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }
}
