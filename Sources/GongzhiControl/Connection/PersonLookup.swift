import GongzhiRPC
import GongzhiSchemas
import Synchronization

/// Finds the person `--as` (or another option) names, by id or by name, so that the host is given an id (it
/// takes no names).
public enum PersonLookup {
    /// The id of the person `typed` names: the Person with that id, else the one Person with that name.
    /// A name that several people have is refused with their ids; one nobody has is NOT_FOUND. `option` names
    /// what was typed in the messages (`--as`, `--to worker:`).
    public static func id(
        of typed: String,
        objects: Gongzhi_Host_V1_ObjectsClient,
        options: CallOptions,
        option: String = "--as"
    ) async throws -> String {
        if typed.allSatisfy(\.isWhitespace) {
            throw ControlError("\(option) needs a person's id or name", exitCode: ControlExitCode.usage)
        }
        if looksLikeID(typed) {
            do {
                let found = try await objects.get(
                    .with {
                        $0.kind = "Person"
                        $0.id = typed
                    },
                    options: options
                )
                return found.id
            } catch let error as RPCError where error.code == .notFound {}
        }
        let people = try await allPeople(objects: objects, options: options)
        let named = people.filter { $0.name == typed }.map(\.id).sorted()
        switch named.count {
        case 1:
            return named[0]
        case 0:
            throw ControlError(
                "no person has the id or name \(typed) (gongzhictl people list shows them)",
                exitCode: ControlExitCode.notFound
            )
        default:
            throw ControlError(
                "\(named.count) people are named \(typed): \(named.joined(separator: ", ")); give the id with "
                    + option,
                exitCode: ControlExitCode.usage
            )
        }
    }

    /// Ids are letters, digits, `-` and `_`, at most 64: anything else can only be a name.
    static func looksLikeID(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 64
            && text.utf8.allSatisfy { byte in
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                    || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            }
    }

    /// Every Person object, decoded (an object whose data does not decode is left out).
    static func allPeople(
        objects: Gongzhi_Host_V1_ObjectsClient,
        options: CallOptions
    ) async throws -> [Gongzhi_Core_V1_Person] {
        try await ObjectPages.all(kind: "Person", objects: objects, options: options).compactMap { object in
            guard var person = try? Gongzhi_Core_V1_Person(serializedBytes: object.data) else { return nil }
            if person.id.isEmpty { person.id = object.id }
            return person
        }
    }
}

/// The person `--as` named, found once for the whole command (a command may connect more than once).
final class ActingPerson: Sendable {
    /// `--as` as typed; nil without it.
    let typed: String?
    private let found = Mutex<String?>(nil)

    init(typed: String?) {
        self.typed = typed
    }

    /// The person's id, looked up through `channel` the first time.
    func id(through channel: any RPCClientChannel, options: CallOptions) async throws -> String? {
        guard let typed else { return nil }
        if let id = found.withLock({ $0 }) { return id }
        let id = try await PersonLookup.id(
            of: typed,
            objects: Gongzhi_Host_V1_ObjectsClient(channel: channel),
            options: options
        )
        found.withLock { $0 = id }
        return id
    }
}
