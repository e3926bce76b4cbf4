import GongzhiIntake
import GongzhiIntakeSchemas

extension Open311Service {
    /// What is wrong with a request's answers (`attribute[code]`) against the service definition, one sentence
    /// per problem naming the attribute, empty when nothing is: a required attribute not answered, an
    /// attribute the service does not have or that takes no answer, several values where one is expected, a
    /// number or a date and time that is not one, a value that is not among the listed keys. Empty values count
    /// as no answer.
    func problems(with answers: [Gongzhi_Intake_V1_Attribute]) -> [String] {
        var problems: [String] = []
        let definition = "GET services/\(code).json lists its attributes"
        for answer in answers {
            let values = answer.values.filter { !$0.isEmpty }
            guard let attribute = attributes.first(where: { $0.code == answer.code }) else {
                problems.append("service \(code) has no attribute[\(answer.code)]; \(definition)")
                continue
            }
            if values.isEmpty { continue }
            guard attribute.variable else {
                problems.append("attribute[\(answer.code)] of service \(code) only informs and takes no answer")
                continue
            }
            if values.count > 1, attribute.datatype != .multivaluelist {
                problems.append(
                    "attribute[\(answer.code)] takes one value (\(attribute.datatype.rawValue)), not \(values.count)"
                )
                continue
            }
            for value in values {
                switch attribute.datatype {
                case .string, .text:
                    break
                case .number:
                    if Double(value)?.isFinite != true {
                        problems.append("attribute[\(answer.code)] must be a number, not \"\(value)\"")
                    }
                case .datetime:
                    if RFC3339.unixMilliseconds(value) == nil {
                        problems.append(
                            "attribute[\(answer.code)] must be a date and time with its zone, such as "
                                + "2026-12-07T10:00:00+08:00, not \"\(value)\""
                        )
                    }
                case .singlevaluelist, .multivaluelist:
                    if !attribute.values.isEmpty, !attribute.values.contains(where: { $0.key == value }) {
                        let keys = attribute.values.map(\.key).joined(separator: ", ")
                        problems.append("attribute[\(answer.code)] takes one of \(keys), not \"\(value)\"")
                    }
                }
            }
        }
        for attribute in attributes where attribute.variable && attribute.required {
            let answered = answers.contains { $0.code == attribute.code && $0.values.contains { !$0.isEmpty } }
            if !answered {
                let what = attribute.description.isEmpty ? "" : " (\(attribute.description))"
                problems.append("attribute[\(attribute.code)]\(what) is required for service \(code)")
            }
        }
        return problems
    }
}
