/// Why `gongzhi-generate` stopped, in words that say what to do about it.
struct GenerationError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
