import Foundation

/// A folder of generated Swift files in a package: compared with freshly generated files, and brought up to
/// date with them. Only files that start with `// DO NOT EDIT.` count as generated; nothing else in the
/// folder is ever changed or removed.
struct GeneratedFolder {
    /// The folder in the package.
    let url: URL

    /// How the folder differs from what was generated.
    struct Difference {
        var added: [String] = []
        var changed: [String] = []
        var removed: [String] = []
        var unchanged = 0

        var isEmpty: Bool { added.isEmpty && changed.isEmpty && removed.isEmpty }

        /// One line per file: `+ new`, `~ changed`, `- no longer generated`.
        var lines: [String] {
            added.map { "  + \($0) (missing)" } + changed.map { "  ~ \($0) (differs)" }
                + removed.map { "  - \($0) (no longer generated)" }
        }
    }

    static let generatedMarker = "// DO NOT EDIT."

    /// Compares the folder with `fresh`, a folder holding what the generators just wrote.
    func difference(from fresh: URL) throws -> Difference {
        let new = try Self.files(under: fresh)
        let old = try Self.files(under: url).filter { Self.isGenerated(url.appendingPathComponent($0)) }
        var difference = Difference()
        for path in new.sorted() {
            let target = url.appendingPathComponent(path)
            guard FileManager.default.fileExists(atPath: target.path) else {
                difference.added.append(path)
                continue
            }
            guard Self.isGenerated(target) else {
                throw GenerationError(
                    "\(target.path) is in the way: it is not a generated file (it does not start with "
                        + "\"\(Self.generatedMarker)\"); move it, or choose another output folder"
                )
            }
            let current = FileManager.default.contents(atPath: target.path)
            if current == FileManager.default.contents(atPath: fresh.appendingPathComponent(path).path) {
                difference.unchanged += 1
            } else {
                difference.changed.append(path)
            }
        }
        difference.removed = old.subtracting(new).sorted()
        return difference
    }

    /// Makes the folder hold what `fresh` holds, touching only what `difference` names.
    func update(from fresh: URL, difference: Difference) throws {
        let manager = FileManager.default
        for path in difference.added + difference.changed {
            let target = url.appendingPathComponent(path)
            try manager.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            let contents = manager.contents(atPath: fresh.appendingPathComponent(path).path) ?? Data()
            try contents.write(to: target, options: .atomic)
        }
        for path in difference.removed {
            try manager.removeItem(at: url.appendingPathComponent(path))
            // Folders the removal emptied go too.
            var folder = url.appendingPathComponent(path).deletingLastPathComponent()
            while folder.standardizedFileURL.path != url.standardizedFileURL.path,
                (try? manager.contentsOfDirectory(atPath: folder.path))?.isEmpty == true
            {
                try manager.removeItem(at: folder)
                folder = folder.deletingLastPathComponent()
            }
        }
    }

    /// The Swift files under `root`, as paths relative to it.
    static func files(under root: URL) throws -> Set<String> {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return []
        }
        var found: Set<String> = []
        guard let walker = manager.enumerator(atPath: root.path) else { return [] }
        while let path = walker.nextObject() as? String {
            if path.hasSuffix(".swift") { found.insert(path) }
        }
        return found
    }

    static func isGenerated(_ file: URL) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: file) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: generatedMarker.utf8.count)) ?? Data()
        return head == Data(generatedMarker.utf8)
    }
}
