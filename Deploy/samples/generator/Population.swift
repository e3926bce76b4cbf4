/// The people of the sample community before they become messages: households made of families of plausible
/// shapes, with ages that fit each other.
struct Person {
    var name: String
    var female: Bool
    var birth: CivilDate
    var age: Int
    var household: Int
    var registeredHere: Bool
    var phone = ""
    var idCardNumber = ""
    var tags: Set<Tag> = []
    var notes = ""

    /// The tags of `gongzhi.core.v1.Resident`, in the schema's order.
    enum Tag: Int, CaseIterable, Comparable {
        case livingAlone = 1
        case elderly
        case disabled
        case partyMember
        case volunteer
        case lowIncome
        case veteran
        case leftBehindChild

        /// The label set on a resident with the tag.
        var label: String {
            switch self {
            case .livingAlone: "living-alone"
            case .elderly: "elderly"
            case .disabled: "disabled"
            case .partyMember: "party-member"
            case .volunteer: "volunteer"
            case .lowIncome: "low-income"
            case .veteran: "veteran"
            case .leftBehindChild: "left-behind-child"
            }
        }

        static func < (lhs: Tag, rhs: Tag) -> Bool { lhs.rawValue < rhs.rawValue }
    }
}

enum Occupancy: String {
    case owner
    case tenant
    case vacant
}

/// Who lives together: the shape of a household.
enum Structure: Equatable {
    case single
    case couple
    case elderlyCouple
    /// One parent and children (of any age: a widow and her grown-up son, too).
    case parentAndChildren(Int)
    /// Flatmates sharing a rented flat.
    case flatmates(Int)
    case nuclear(children: Int)
    /// Grandparents, a couple and their children.
    case threeGenerations(grandparents: Int, children: Int)
    /// A couple living with their elderly parents.
    case withParents(Int)
    /// Grandparents bringing up grandchildren whose parents work elsewhere (留守儿童).
    case skipGeneration(grandparents: Int, children: Int)

    var size: Int {
        switch self {
        case .single: 1
        case .couple, .elderlyCouple: 2
        case .parentAndChildren(let children): 1 + children
        case .flatmates(let count): count
        case .nuclear(let children): 2 + children
        case .threeGenerations(let grandparents, let children): grandparents + 2 + children
        case .withParents(let grandparents): 2 + grandparents
        case .skipGeneration(let grandparents, let children): grandparents + children
        }
    }

    /// A shape for a household of `size` people.
    static func choose(size: Int, occupancy: Occupancy, using random: inout SplitMix64) -> Structure {
        let options: [(Double, Structure)]
        switch (occupancy, size) {
        case (_, 1):
            options = [(1, .single)]
        case (.owner, 2):
            options = [
                (0.35, .elderlyCouple), (0.45, .couple), (0.18, .parentAndChildren(1)),
                (0.02, .skipGeneration(grandparents: 1, children: 1)),
            ]
        case (.owner, 3):
            options = [
                (0.77, .nuclear(children: 1)), (0.12, .withParents(1)), (0.08, .parentAndChildren(2)),
                (0.03, .skipGeneration(grandparents: 2, children: 1)),
            ]
        case (.owner, 4):
            options = [
                (0.38, .nuclear(children: 2)), (0.46, .threeGenerations(grandparents: 1, children: 1)),
                (0.14, .withParents(2)), (0.02, .skipGeneration(grandparents: 2, children: 2)),
            ]
        case (.owner, 5):
            options = [
                (0.55, .threeGenerations(grandparents: 2, children: 1)),
                (0.35, .threeGenerations(grandparents: 1, children: 2)), (0.10, .nuclear(children: 3)),
            ]
        case (.tenant, 2):
            options = [(0.70, .couple), (0.22, .flatmates(2)), (0.08, .parentAndChildren(1))]
        case (.tenant, 3):
            options = [(0.75, .nuclear(children: 1)), (0.20, .flatmates(3)), (0.05, .withParents(1))]
        case (.tenant, 4):
            options = [
                (0.45, .nuclear(children: 2)), (0.35, .threeGenerations(grandparents: 1, children: 1)),
                (0.20, .flatmates(4)),
            ]
        case (.tenant, 5):
            options = [
                (0.6, .threeGenerations(grandparents: 2, children: 1)),
                (0.4, .threeGenerations(grandparents: 1, children: 2)),
            ]
        default:
            options = [
                (0.8, .threeGenerations(grandparents: 2, children: size - 4)),
                (0.2, .threeGenerations(grandparents: 1, children: size - 3)),
            ]
        }
        let structure = options[random.weighted(options.map(\.0))].1
        precondition(structure.size == size)
        return structure
    }
}

/// A household's size: how many people live in a flat, by who holds it.
enum HouseholdSize {
    static let owner: [Double] = [0.10, 0.25, 0.30, 0.18, 0.12, 0.05]
    static let tenant: [Double] = [0.22, 0.34, 0.26, 0.12, 0.06]
    static let largest = 6

    static func draw(_ occupancy: Occupancy, using random: inout SplitMix64) -> Int {
        switch occupancy {
        case .vacant: 0
        case .owner: random.weighted(owner) + 1
        case .tenant: random.weighted(tenant) + 1
        }
    }
}
