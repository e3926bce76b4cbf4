import Foundation
import GongzhiSchemas
import SwiftProtobuf

/// A small deterministic generator (SplitMix64), so that every run writes the same kind of data.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Realistic Resident objects: a name, an 18-character ID number with its check digit, a mobile number, a birth
/// date, a household, tags and a visit note (150 to 250 bytes of data), and three labels (`community`, `grid`,
/// `registered`).
struct ResidentFactory {
    private var random: SplitMix64

    private static let surnames = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭"]
    private static let givenNames = [
        "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
        "秀兰", "霞", "平", "刚", "桂英", "建华", "志强", "海燕",
    ]
    private static let notes = [
        "独居老人，子女在外地工作，每周电话问候一次，上门走访每月两次。",
        "腿脚不便，需要协助购买生活用品，已联系志愿者每周上门。",
        "退役军人，热心社区事务，愿意参与楼栋议事和邻里调解。",
        "家中有留守儿童，由祖父母照看，学校老师反映学习情况良好。",
        "低保户，已办理临时救助，定期复核家庭收入情况。",
        "新迁入住户，租住，已登记居住证信息，联系方式已核实。",
        "高龄老人，患有慢性病，社区医生每月随访，血压控制平稳。",
        "楼栋长，负责收集居民意见，协助网格员开展日常巡查。",
    ]
    /// Six-digit administrative codes of Shanghai districts, for the ID numbers.
    private static let regions = ["310101", "310104", "310105", "310106", "310107", "310110", "310112", "310115"]
    private static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    private static let checkCharacters = Array("10X98765432")

    init(seed: UInt64) {
        self.random = SplitMix64(seed: seed)
    }

    /// A Resident object with `id`, in grid `grid` (whose community is `grid / 10`), with `extraLabels` added.
    mutating func object(id: String, grid: Int, extraLabels: [String: String] = [:]) -> Gongzhi_Host_V1_Object {
        var resident = Gongzhi_Core_V1_Resident()
        resident.id = id
        resident.name = pick(Self.surnames) + pick(Self.givenNames)
        let year = 1935 + Int(random.next() % 85)
        let month = 1 + Int(random.next() % 12)
        let day = 1 + Int(random.next() % 28)
        let female = random.next() % 2 == 0
        resident.idCardNumber = idCardNumber(year: year, month: month, day: day, female: female)
        resident.phone = "1" + pick(["3", "5", "7", "8", "9"]) + digits(Int(random.next() % 1_000_000_000), width: 9)
        resident.gender = female ? .female : .male
        resident.birthDate = "\(year)-\(digits(month, width: 2))-\(digits(day, width: 2))"
        resident.householdID = "hh-\(digits(grid, width: 4))-\(digits(Int(random.next() % 10_000), width: 4))"
        var tags: [Gongzhi_Core_V1_Resident.Tag] = []
        if year < 1945 { tags.append(.elderly) }
        let roll = random.next() % 10
        if roll == 0 { tags.append(.livingAlone) }
        if roll == 1 { tags.append(.volunteer) }
        if roll == 2 { tags.append(.partyMember) }
        resident.tags = tags
        resident.registeredHere = random.next() % 4 != 0
        resident.notes = pick(Self.notes)

        var object = Gongzhi_Host_V1_Object()
        object.kind = "Resident"
        object.id = id
        object.parent = resident.householdID
        object.labels = extraLabels
        object.labels["community"] = "C-" + digits(grid / 10, width: 2)
        object.labels["grid"] = Self.gridLabel(grid)
        object.labels["registered"] = resident.registeredHere ? "yes" : "no"
        // Serializing a message with only set fields cannot fail.
        object.data = (try? resident.serializedBytes()) ?? Data()
        return object
    }

    /// The value of the `grid` label of grid `grid`.
    static func gridLabel(_ grid: Int) -> String {
        "G-" + digits(grid, width: 4)
    }

    private mutating func pick(_ choices: [String]) -> String {
        choices[Int(random.next() % UInt64(choices.count))]
    }

    private mutating func idCardNumber(year: Int, month: Int, day: Int, female: Bool) -> String {
        var sequence = Int(random.next() % 500) * 2
        if !female { sequence += 1 }
        let body =
            pick(Self.regions) + digits(year, width: 4) + digits(month, width: 2) + digits(day, width: 2)
            + digits(sequence, width: 3)
        var sum = 0
        for (index, character) in body.enumerated() {
            sum += Int(character.asciiValue! - 48) * Self.weights[index]
        }
        return body + String(Self.checkCharacters[sum % 11])
    }
}

/// `value` in decimal, zero-padded to `width` digits.
func digits(_ value: Int, width: Int) -> String {
    let text = String(value)
    return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
}
