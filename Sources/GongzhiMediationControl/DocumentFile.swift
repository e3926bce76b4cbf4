import GongzhiControl

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A document a command writes (`mediation print --out FILE`): written whole under a temporary name beside
/// it, then renamed over it, so that a browser or a printer never reads half a document. The documents hold
/// personal data: the file is readable by its owner alone (0600).
enum DocumentFile {
    static func write(_ text: String, to path: String) throws(ControlError) {
        let temporary = "\(path).partial-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure(path) }
        var text = text
        let written = text.withUTF8 { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let count = systemWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += count
            }
            return true
        }
        guard written, fsync(descriptor) == 0 else {
            let error = failure(path)
            close(descriptor)
            unlink(temporary)
            throw error
        }
        guard close(descriptor) == 0, rename(temporary, path) == 0 else {
            let error = failure(path)
            unlink(temporary)
            throw error
        }
    }

    private static func failure(_ path: String) -> ControlError {
        let code = errno
        let reason =
            code == EISDIR ? "it is a folder; name a file in it" : String(cString: strerror(code)).lowercased()
        return ControlError("cannot write \(path): \(reason)", exitCode: ControlExitCode.failed)
    }
}

/// write(2), by a name that no member hides.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}
