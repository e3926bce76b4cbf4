import GongzhiSchemas

extension XCommunity {
    /// The objects, parents before children: regions, departments, grids, organizations, buildings, households,
    /// residents, partners; then the staff as people, and their role bindings (after the people, roles and
    /// places they name).
    func documents() -> [Document] {
        var documents: [Document] = []
        documents.reserveCapacity(Plan.households + Plan.residents + 512)

        // Regions.
        let community = Plan.communityBoundary.offset(by: Plan.origin).polygon
        let regions: [(String, String, Gongzhi_Core_V1_Region.Level, String, String, MicroPolygon)] = [
            (Plan.districtCode, Plan.districtName, .district, "", "district", Plan.districtBoundary),
            (Plan.streetCode, Plan.streetName, .street, Plan.districtCode, "street", Plan.streetBoundary),
            (Plan.communityCode, Plan.communityName, .community, Plan.streetCode, "community", community),
        ]
        for (code, name, level, parent, label, boundary) in regions {
            var region = Gongzhi_Core_V1_Region()
            region.code = code
            region.name = name
            region.level = level
            region.parentCode = parent
            region.boundary = boundary.message
            documents.append(
                Document(
                    kind: "Region",
                    id: code,
                    parent: parent.isEmpty ? nil : parent,
                    labels: [("level", label)],
                    data: region
                )
            )
        }

        // Departments.
        for (number, plan) in Plan.departments.enumerated() {
            var department = Gongzhi_Core_V1_Department()
            department.id = plan.id
            department.name = plan.name
            department.regionCode = Plan.streetCode
            department.categories = plan.categories
            department.dutyPhone = "0571-8699" + Codes.pad(1_100 + number * 11, width: 4)
            documents.append(Document(kind: "Department", id: plan.id, parent: Plan.streetCode, data: department))
        }

        // Grids.
        for record in grids {
            var grid = Gongzhi_Core_V1_Grid()
            grid.code = record.code
            grid.name = record.name
            grid.communityCode = Plan.communityCode
            grid.polygon = record.area.polygon.message
            grid.workers = record.workers
            documents.append(
                Document(
                    kind: "Grid",
                    id: record.code,
                    parent: Plan.communityCode,
                    labels: [("compound", Plan.compounds[record.compound].key)],
                    data: grid
                )
            )
        }

        // Organizations.
        for (organization, compound) in organizations {
            var labels = [("type", Self.typeLabel(organization.type))]
            if let compound { labels.append(("compound", Plan.compounds[compound].key)) }
            documents.append(
                Document(
                    kind: "Organization",
                    id: organization.id,
                    parent: Plan.communityCode,
                    labels: labels,
                    data: organization
                )
            )
        }

        // Buildings.
        for record in buildings {
            let compound = Plan.compounds[record.compound]
            var building = Gongzhi_Core_V1_Building()
            building.id = record.id
            building.name = "\(compound.name)\(record.number)幢"
            building.compound = compound.name
            building.gridCode = grids[record.grid].code
            building.address =
                "\(Plan.districtName)\(Plan.streetName)\(compound.address)\(compound.name)\(record.number)幢"
            building.floors = UInt32(record.type.floors)
            building.units = UInt32(record.type.units)
            building.location = record.location.message
            documents.append(
                Document(
                    kind: "Building",
                    id: record.id,
                    parent: grids[record.grid].code,
                    labels: [("compound", compound.key), ("grid", grids[record.grid].code)],
                    data: building
                )
            )
        }

        // Households.
        for (index, record) in households.enumerated() {
            let building = buildings[record.building]
            let compound = Plan.compounds[building.compound]
            var household = Gongzhi_Core_V1_Household()
            household.id = record.id
            household.buildingID = building.id
            household.unit = String(record.unit)
            household.room = record.roomNumber
            household.address = address(ofHousehold: index)
            if let head = record.members.first {
                household.headResidentID = Self.residentID(head)
            }
            household.memberResidentIds = record.members.map(Self.residentID)
            household.occupancy = record.occupancy.rawValue
            household.gridCode = grids[building.grid].code
            documents.append(
                Document(
                    kind: "Household",
                    id: record.id,
                    parent: building.id,
                    labels: [
                        ("compound", compound.key), ("grid", grids[building.grid].code), ("building", building.id),
                        ("occupancy", record.occupancy.rawValue),
                    ],
                    data: household
                )
            )
        }

        // Residents, household by household.
        for record in households {
            let building = buildings[record.building]
            for index in record.members {
                let person = people[index]
                var resident = Gongzhi_Core_V1_Resident()
                resident.id = Self.residentID(index)
                resident.name = person.name
                resident.idCardNumber = person.idCardNumber
                resident.phone = person.phone
                resident.gender = person.female ? .female : .male
                resident.birthDate = person.birth.iso
                resident.householdID = record.id
                let tags = person.tags.sorted()
                resident.tags = tags.map { Gongzhi_Core_V1_Resident.Tag(rawValue: $0.rawValue) ?? .unspecified }
                resident.registeredHere = person.registeredHere
                resident.notes = person.notes
                resident.gridCode = grids[building.grid].code
                var labels = [
                    ("compound", Plan.compounds[building.compound].key), ("grid", grids[building.grid].code),
                    ("building", building.id),
                ]
                labels += tags.map { ($0.label, "true") }
                documents.append(
                    Document(kind: "Resident", id: resident.id, parent: record.id, labels: labels, data: resident)
                )
            }
        }

        // Partners.
        for record in partners {
            var labels = [("type", Self.typeLabel(record.message.type))]
            if let grid = record.grid { labels.append(("grid", grids[grid].code)) }
            documents.append(
                Document(
                    kind: "Partner",
                    id: record.message.id,
                    parent: Plan.communityCode,
                    labels: labels,
                    data: record.message
                )
            )
        }

        // The staff, then what they are bound to: a binding's person, role (built in) and place exist before it.
        for record in staff {
            documents.append(Document(kind: "Person", id: record.message.id, data: record.message))
        }
        for record in staff {
            for (role, place) in record.bindings {
                var binding = Gongzhi_Core_V1_RoleBinding()
                binding.id = Self.bindingID(person: record.message.id, role: role, place: place)
                binding.personID = record.message.id
                binding.role = role
                binding.placeCode = place
                // As `gongzhictl people bind` makes it: no parent, no labels.
                documents.append(Document(kind: "RoleBinding", id: binding.id, data: binding))
            }
        }
        return documents
    }

    static func typeLabel(_ type: Gongzhi_Core_V1_Organization.TypeEnum) -> String {
        switch type {
        case .residentsCommittee: "residents-committee"
        case .ownersCommittee: "owners-committee"
        case .propertyCompany: "property-company"
        case .socialOrganization: "social-organization"
        case .department: "department"
        case .volunteerTeam: "volunteer-team"
        case .unspecified, .UNRECOGNIZED: "unspecified"
        }
    }

    static func typeLabel(_ type: Gongzhi_Core_V1_Partner.TypeEnum) -> String {
        switch type {
        case .neighbour: "neighbour"
        case .builder: "builder"
        case .team: "team"
        case .unspecified, .UNRECOGNIZED: "unspecified"
        }
    }

    /// What the data hold, in numbers, for `--summary`.
    func summary(of documents: [Document]) -> String {
        var lines: [String] = []
        lines.append(
            "\(Plan.communityName) (\(Plan.communityCode)), \(Plan.districtName)\(Plan.streetName): synthetic sample data"
        )
        lines.append("")
        var counts: [(String, Int)] = []
        for document in documents {
            if let last = counts.last, last.0 == document.kind {
                counts[counts.count - 1].1 += 1
            } else {
                counts.append((document.kind, 1))
            }
        }
        for (kind, count) in counts {
            lines.append(Self.row(kind, count))
        }
        lines.append(Self.row("total", documents.count))
        lines.append("")

        let occupied = households.filter { $0.occupancy != .vacant }
        lines.append(Self.row("compounds", Plan.compounds.count))
        lines.append(Self.row("households owner-occupied", households.filter { $0.occupancy == .owner }.count))
        lines.append(Self.row("households rented", households.filter { $0.occupancy == .tenant }.count))
        lines.append(Self.row("households vacant", households.count - occupied.count))
        lines.append(Self.row("households of one", occupied.filter { $0.size == 1 }.count))
        lines.append(Self.row("residents registered here", people.filter(\.registeredHere).count))
        lines.append(Self.row("residents aged 60 and over", people.filter { $0.age >= 60 }.count, of: people.count))
        lines.append(Self.row("residents aged 80 and over", people.filter { $0.age >= 80 }.count, of: people.count))
        lines.append(Self.row("residents under 18", people.filter { $0.age < 18 }.count, of: people.count))
        for tag in Person.Tag.allCases {
            lines.append(Self.row("tag \(tag.label)", people.filter { $0.tags.contains(tag) }.count, of: people.count))
        }
        lines.append("")
        for (index, team) in Plan.teams.enumerated() {
            lines.append(
                Self.row("P-team-\(Codes.pad(index + 1, width: 2)) members", teamMembers[index].count) + "  "
                    + team.name
            )
        }
        lines.append("")
        lines.append("staff (person, role, place, name, title)")
        for record in staff {
            for (role, place) in record.bindings {
                lines.append(
                    [record.message.id, role, place].map { $0 + String(repeating: " ", count: max(1, 18 - $0.count)) }
                        .joined() + record.message.name + "  " + record.message.title
                )
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func row(_ name: String, _ count: Int, of total: Int? = nil) -> String {
        let padded = name + String(repeating: " ", count: max(1, 30 - name.count))
        let number = grouped(count)
        var row = padded + String(repeating: " ", count: max(0, 7 - number.count)) + number
        if let total, total > 0 {
            let permille = (count * 1_000 + total / 2) / total
            row += "  (\(permille / 10).\(permille % 10)%)"
        }
        return row
    }

    /// 21235 → "21,235".
    private static func grouped(_ value: Int) -> String {
        var digits = String(value)
        var index = digits.count - 3
        while index > 0 {
            digits.insert(",", at: digits.index(digits.startIndex, offsetBy: index))
            index -= 3
        }
        return digits
    }
}

extension XCommunity {
    /// A household's address as its Household object gives it.
    func address(ofHousehold index: Int) -> String {
        let record = households[index]
        let building = buildings[record.building]
        let compound = XCommunityPlan.compounds[building.compound]
        return "\(XCommunityPlan.districtName)\(XCommunityPlan.streetName)\(compound.address)\(compound.name)"
            + "\(building.number)幢\(record.unit)单元\(record.roomNumber)室"
    }
}
