import SwiftProtobuf

/// One object of the sample data: a line of the JSON-lines format that `gongzhictl apply -f` reads.
///
///     {"kind":"Resident","id":"R-0000001","parent":"H-c1-001-1-0101","labels":{…},"data":{…}}
///
/// `data` is the kind's message in proto3 JSON, as swift-protobuf prints it; `parent` and `labels` are left out
/// when there are none.
struct Document {
    var kind: String
    var id: String
    var parent: String?
    var labels: [(key: String, value: String)]
    var data: any SwiftProtobuf.Message

    init(kind: String, id: String, parent: String? = nil, labels: [(String, String)] = [], data: any Message) {
        self.kind = kind
        self.id = id
        self.parent = parent
        // Sorted, so that the line is the same whatever order the labels were given in.
        self.labels = labels.map { (key: $0.0, value: $0.1) }.sorted { $0.key < $1.key }
        self.data = data
    }

    /// Appends the document and a newline to `output`.
    func write(to output: inout [UInt8]) throws {
        output.append(contentsOf: #"{"kind":"#.utf8)
        JSONText.appendString(kind, to: &output)
        output.append(contentsOf: #","id":"#.utf8)
        JSONText.appendString(id, to: &output)
        if let parent {
            output.append(contentsOf: #","parent":"#.utf8)
            JSONText.appendString(parent, to: &output)
        }
        if !labels.isEmpty {
            output.append(contentsOf: #","labels":{"#.utf8)
            for (index, label) in labels.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                JSONText.appendString(label.key, to: &output)
                output.append(UInt8(ascii: ":"))
                JSONText.appendString(label.value, to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
        output.append(contentsOf: #","data":"#.utf8)
        output.append(contentsOf: try data.jsonString().utf8)
        output.append(contentsOf: "}\n".utf8)
    }
}

enum JSONText {
    /// Appends `text` as a JSON string, quoted and escaped.
    static func appendString(_ text: String, to output: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        output.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                output.append(UInt8(ascii: "\\"))
                output.append(byte)
            case UInt8(ascii: "\n"):
                output.append(contentsOf: #"\n"#.utf8)
            case 0..<0x20:
                output.append(contentsOf: #"\u00"#.utf8)
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0xf)])
            default:
                output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
