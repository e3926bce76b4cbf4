/// Check characters of the identity numbers in the sample data. Every number is synthetic: the district code
/// 330199 is not assigned to any real district, and the sequence numbers are drawn at random.
enum Codes {
    /// The 18-character resident identity card number (GB 11643): 6-digit region, 8-digit birth date, 3-digit
    /// sequence (odd for men, even for women), and the ISO 7064 MOD 11-2 check character.
    static func identityCardNumber(region: String, birth: CivilDate, sequence: Int) -> String {
        precondition(region.utf8.count == 6 && (0...999).contains(sequence))
        let body = region + birth.compactDigits + pad(sequence, width: 3)
        return body + String(identityCardCheck(body))
    }

    /// The ISO 7064 MOD 11-2 check character of the first 17 digits of an identity card number.
    static func identityCardCheck(_ body: String) -> Character {
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        var sum = 0
        for (digit, weight) in zip(body.utf8, weights) {
            sum += Int(digit - UInt8(ascii: "0")) * weight
        }
        return Array("10X98765432")[sum % 11]
    }

    /// The characters of unified social credit codes (GB 32100), without I, O, Z, S and V.
    static let creditCharacters = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")

    /// An 18-character unified social credit code (GB 32100): registration authority and organisation type (e.g.
    /// "91" for a company, "52" for a private non-enterprise unit, "55" for a residents' committee), the 6-digit
    /// region, a 9-character organisation code (GB 11714) built from `body`, and the check character.
    static func creditCode(kind: String, region: String, body: String) -> String {
        precondition(kind.count == 2 && region.count == 6 && body.count == 8)
        let firstSeventeen = kind + region + body + String(organizationCodeCheck(body))
        return firstSeventeen + String(creditCodeCheck(firstSeventeen))
    }

    /// The check character of a GB 11714 organisation code's first 8 characters.
    static func organizationCodeCheck(_ body: String) -> Character {
        let weights = [3, 7, 9, 10, 5, 8, 4, 2]
        var sum = 0
        for (character, weight) in zip(body, weights) {
            sum += organizationCodeValue(character) * weight
        }
        switch 11 - sum % 11 {
        case 10: return "X"
        case 11: return "0"
        case let value: return Character(String(value))
        }
    }

    private static func organizationCodeValue(_ character: Character) -> Int {
        let byte = character.asciiValue!
        if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
            return Int(byte - UInt8(ascii: "0"))
        }
        return Int(byte - UInt8(ascii: "A")) + 10
    }

    /// The check character of a unified social credit code's first 17 characters.
    static func creditCodeCheck(_ firstSeventeen: String) -> Character {
        var sum = 0
        var weight = 1
        for character in firstSeventeen {
            sum += creditCharacters.firstIndex(of: character)! * weight
            weight = weight * 3 % 31
        }
        return creditCharacters[(31 - sum % 31) % 31]
    }

    /// `value` in decimal, with leading zeros up to `width` digits.
    static func pad(_ value: Int, width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

/// A day of the Gregorian calendar.
struct CivilDate: Comparable {
    var year: Int
    var month: Int
    var day: Int

    /// The day the sample data describe: ages are counted at this date.
    static let asOf = CivilDate(year: 2025, month: 6, day: 30)

    static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    static func days(inMonth month: Int, of year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// A random birth date of someone who is `age` years old on ``asOf``.
    static func birth(age: Int, using random: inout SplitMix64) -> CivilDate {
        let month = random.int(in: 1...12)
        var year = asOf.year - age
        if month > asOf.month { year -= 1 }
        var day = random.int(in: 1...days(inMonth: month, of: year))
        if year == asOf.year - age && month == asOf.month { day = min(day, asOf.day) }
        return CivilDate(year: year, month: month, day: day)
    }

    /// The age in whole years on ``asOf``.
    var age: Int {
        var years = CivilDate.asOf.year - year
        if (month, day) > (CivilDate.asOf.month, CivilDate.asOf.day) { years -= 1 }
        return years
    }

    /// YYYY-MM-DD.
    var iso: String {
        "\(Codes.pad(year, width: 4))-\(Codes.pad(month, width: 2))-\(Codes.pad(day, width: 2))"
    }

    /// YYYYMMDD.
    var compactDigits: String {
        Codes.pad(year, width: 4) + Codes.pad(month, width: 2) + Codes.pad(day, width: 2)
    }

    static func < (lhs: CivilDate, rhs: CivilDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}
