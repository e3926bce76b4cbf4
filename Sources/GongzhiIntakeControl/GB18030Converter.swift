import GongzhiControl

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Converts a GB18030 (GBK, GB2312) file to UTF-8 piece by piece as it is read, with the C library's iconv:
/// the encoding of Excel's exports on Chinese Windows. A character cut between two pieces is held until the
/// next one; a byte sequence that is not GB18030 is an error with its offset in the file.
final class GB18030Converter {
    private let converter: iconv_t
    /// The bytes of a character the previous piece ended inside.
    private var held: [UInt8] = []
    /// How many bytes of the file were converted before the current piece.
    private var offset = 0
    private let name: String

    /// `name` is how errors name the file.
    init(name: String) throws(ControlError) {
        self.name = name
        let opened = iconv_open("UTF-8", "GB18030")
        guard let opened, opened != iconv_t(bitPattern: -1) else {
            throw ControlError(
                "cannot read GB18030: the C library has no converter for it (\(String(cString: strerror(errno))))",
                exitCode: ControlExitCode.failed
            )
        }
        converter = opened
    }

    deinit {
        iconv_close(converter)
    }

    /// The UTF-8 of the next piece of the file; `final` for the last, which must not end inside a character.
    func convert(_ piece: [UInt8], final: Bool) throws(ControlError) -> [UInt8] {
        var input = held + piece
        held = []
        guard !input.isEmpty else { return [] }
        // A GB18030 character of 1, 2 or 4 bytes becomes at most 4 bytes of UTF-8 (a 2-byte one, 3).
        var output = [UInt8](repeating: 0, count: input.count * 2 + 8)
        var consumed = 0
        var produced = 0
        var failure: Int32 = 0
        input.withUnsafeMutableBytes { inBytes in
            output.withUnsafeMutableBytes { outBytes in
                var inPointer: UnsafeMutablePointer<CChar>? = inBytes.baseAddress!.assumingMemoryBound(to: CChar.self)
                var inLeft = inBytes.count
                var outPointer: UnsafeMutablePointer<CChar>? = outBytes.baseAddress!.assumingMemoryBound(
                    to: CChar.self
                )
                var outLeft = outBytes.count
                if iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft) == -1 { failure = errno }
                consumed = inBytes.count - inLeft
                produced = outBytes.count - outLeft
            }
        }
        switch failure {
        case 0:
            break
        case EINVAL where !final:
            held = Array(input[consumed...])
        case EINVAL:
            throw ControlError(
                "\(name) ends inside a GB18030 character (byte \(offset + consumed + 1)); is it cut short?",
                exitCode: ControlExitCode.failed
            )
        default:
            throw ControlError(
                "\(name) is not GB18030 text at byte \(offset + consumed + 1); is it UTF-8? leave out --encoding",
                exitCode: ControlExitCode.failed
            )
        }
        offset += consumed
        return Array(output[..<produced])
    }
}
