/// X社区's data intake, drawn from ``XCommunityIntakePlan`` and the community: its sensor devices, placed in its
/// grids (smoke detectors in the stairwells of the buildings where most old people live alone), and the
/// street's urban-management export of November 2026, with the duplicates, malformed rows, unmapped category,
/// rows without coordinates and multi-line description that a real export has. The same on every run.
struct XCommunityIntake {
    typealias Plan = XCommunityIntakePlan

    /// A sensor device of the sample.
    struct Device {
        var id: String
        var kind: Plan.SensorKind
        var name: String
        var point: MicroPoint
        /// Indexes into the community's grids and compounds.
        var grid: Int
        var compound: Int
        var attributes: [(key: String, value: String)]
    }

    /// What a row of the export is made to show.
    enum RowRole: Equatable {
        case normal
        case withoutCoordinates
        case multiLine
        case unmappedCategory
        /// Its latitude is not a number.
        case malformedLatitude
        /// Its category is empty.
        case missingCategory
        /// A copy of the row with this case number, exported twice.
        case duplicate(of: String)
    }

    /// A row of the export, in the order of ``XCommunityIntakePlan/exportColumns``.
    struct Row {
        var fields: [String]
        var role: RowRole
    }

    let community: XCommunity
    private(set) var devices: [Device] = []
    private(set) var rows: [Row] = []

    init(community: XCommunity) {
        self.community = community
        placeDevices()
        drawExport()
    }

    private func random(_ stream: String) -> SplitMix64 {
        SplitMix64(seed: XCommunityPlan.seed, stream: stream)
    }

    // MARK: - Devices

    /// Each compound's devices, compound by compound: water level, smoke, manhole tilt.
    private mutating func placeDevices() {
        var random = random("intake-devices")
        var numbers: [Plan.SensorKind: Int] = [:]
        func nextID(_ kind: Plan.SensorKind) -> String {
            let number = (numbers[kind] ?? 0) + 1
            numbers[kind] = number
            return "\(kind.prefix)-\(XCommunityPlan.districtCode)-\(Codes.pad(number, width: 4))"
        }
        let livingAlone = livingAloneByBuildingAndUnit()
        for (compoundIndex, compound) in XCommunityPlan.compounds.enumerated() {
            let grids = community.grids.indices.filter { community.grids[$0].compound == compoundIndex }
            for (kind, count) in Plan.devicesPerCompound {
                switch kind {
                case .waterLevel:
                    // At the compound's gate (its south-west grid, by the south edge) and its garage ramp (the
                    // north-east grid, by the north edge).
                    for index in 0..<count {
                        let grid = grids[index % 2 == 0 ? 0 : 2]
                        let point = edgePoint(of: community.grids[grid].area, edge: index % 2 == 0 ? 0 : 2, &random)
                        devices.append(
                            Device(
                                id: nextID(kind),
                                kind: kind,
                                name: "\(Plan.underpasses[compoundIndex][index])积水监测点",
                                point: point,
                                grid: grid,
                                compound: compoundIndex,
                                attributes: [("site", index % 2 == 0 ? "underpass" : "garage-ramp")]
                            )
                        )
                    }
                case .smoke:
                    // The buildings of the compound with the most residents of 60 and over living alone, in
                    // the stairwell of the unit where most of them live.
                    let chosen = community.buildings.indices
                        .filter { community.buildings[$0].compound == compoundIndex }
                        .sorted { (livingAlone[$0]?.total ?? 0, $1) > (livingAlone[$1]?.total ?? 0, $0) }
                        .prefix(count)
                    for buildingIndex in chosen {
                        let building = community.buildings[buildingIndex]
                        let unit = livingAlone[buildingIndex]?.busiestUnit ?? 1
                        devices.append(
                            Device(
                                id: nextID(kind),
                                kind: kind,
                                name: "\(compound.name)\(building.number)幢\(unit)单元楼道烟感",
                                point: building.location,
                                grid: building.grid,
                                compound: compoundIndex,
                                attributes: [("building", building.id), ("unit", String(unit))]
                            )
                        )
                    }
                case .manholeTilt:
                    // On the compound's roads, by an edge of each grid other than the gate's.
                    for index in 0..<count {
                        let quarter = 1 + index % 3
                        let grid = grids[quarter]
                        let point = edgePoint(of: community.grids[grid].area, edge: random.below(4), &random)
                        devices.append(
                            Device(
                                id: nextID(kind),
                                kind: kind,
                                name: "\(compound.name)\(XCommunityPlan.quarterNames[quarter])道路雨水井盖倾斜监测点",
                                point: point,
                                grid: grid,
                                compound: compoundIndex,
                                attributes: [("cover", "rainwater")]
                            )
                        )
                    }
                }
            }
        }
        for device in devices {
            precondition(
                community.grids[device.grid].area.polygon.contains(device.point),
                "\(device.id) is outside its grid"
            )
        }
    }

    /// A point inside `area`, 3 to 7 hundredths of its depth in from `edge` (0 south, 1 east, 2 north, 3 west),
    /// and at least a tenth of its length from either end: where a compound's roads run.
    private func edgePoint(of area: MicroRect, edge: Int, _ random: inout SplitMix64) -> MicroPoint {
        let inward = random.int(in: 3...7)
        let along = random.int(in: 10...90)
        switch edge {
        case 0:
            return MicroPoint(
                longitude: area.west + area.width * along / 100,
                latitude: area.south + area.height * inward / 100
            )
        case 1:
            return MicroPoint(
                longitude: area.east - area.width * inward / 100,
                latitude: area.south + area.height * along / 100
            )
        case 2:
            return MicroPoint(
                longitude: area.west + area.width * along / 100,
                latitude: area.north - area.height * inward / 100
            )
        default:
            return MicroPoint(
                longitude: area.west + area.width * inward / 100,
                latitude: area.south + area.height * along / 100
            )
        }
    }

    /// For each building with residents of 60 and over living alone: how many, and the unit most of them live in
    /// (the lowest such unit on a tie).
    private func livingAloneByBuildingAndUnit() -> [Int: (total: Int, busiestUnit: Int)] {
        var counts: [Int: [Int: Int]] = [:]
        for person in community.people where person.tags.contains(.livingAlone) {
            let household = community.households[person.household]
            counts[household.building, default: [:]][household.unit, default: 0] += 1
        }
        return counts.mapValues { units in
            let busiest = units.keys.sorted().max { (units[$0] ?? 0) < (units[$1] ?? 0) } ?? 1
            return (units.values.reduce(0, +), busiest)
        }
    }

    // MARK: - The urban-management export

    /// The export's rows in time order, each duplicate a few rows after the row it repeats.
    private mutating func drawExport() {
        var random = random("intake-export")
        let distinct = Plan.exportRows - Plan.duplicateRows
        // Times first: the rows are numbered in the order they were reported.
        var minutes: [Int] = []
        for _ in 0..<distinct {
            let day = random.int(in: 1...30)
            minutes.append(day * 1_440 + random.int(in: (7 * 60 + 30)...(18 * 60)))
        }
        minutes.sort()
        var order = Array(0..<distinct)
        random.shuffle(&order)
        var roles = [RowRole](repeating: .normal, count: distinct)
        var next = 0
        func assign(_ role: RowRole, _ count: Int) {
            for _ in 0..<count {
                roles[order[next]] = role
                next += 1
            }
        }
        assign(.malformedLatitude, 1)
        assign(.missingCategory, 1)
        assign(.unmappedCategory, 1)
        assign(.multiLine, 1)
        assign(.withoutCoordinates, Plan.rowsWithoutCoordinates)
        let repeated = Array(order[next..<(next + Plan.duplicateRows)]).sorted()

        let weights = Plan.exportCategories.map { Double($0.weight) }
        let originWeights = Plan.origins.map { Double($0.weight) }
        var points: Set<Int> = []
        var withoutPoints: Set<String> = []
        var distinctRows: [Row] = []
        for index in 0..<distinct {
            let role = roles[index]
            let caseNumber =
                "CG\(Plan.exportYear)\(Codes.pad(Plan.exportMonth, width: 2))\(Codes.pad(index + 1, width: 4))"
            let minute = minutes[index]
            let time =
                "\(Plan.exportYear)-\(Codes.pad(Plan.exportMonth, width: 2))-\(Codes.pad(minute / 1_440, width: 2)) "
                + "\(Codes.pad(minute % 1_440 / 60, width: 2)):\(Codes.pad(minute % 60, width: 2))"
            let origin = Plan.origins[random.weighted(originWeights)].name
            let inspector = random.pick(Plan.inspectors)
            var category: String
            var finding: String
            if role == .unmappedCategory {
                (category, finding) = Plan.unmappedCategory
            } else {
                let drawn = Plan.exportCategories[random.weighted(weights)]
                category = drawn.name
                finding = random.pick(drawn.findings)
            }
            // A place in a grid: a building of it, a spot by it, and a point inside the grid.
            var address: String
            var description: String
            var point: MicroPoint
            repeat {
                let record = community.grids[random.below(community.grids.count)]
                let building = community.buildings[random.pick(record.buildings)]
                let compound = XCommunityPlan.compounds[record.compound]
                let spot = random.pick(Plan.spots)
                address = "\(compound.address)\(compound.name)\(building.number)幢\(spot)"
                description = "\(compound.name)\(building.number)幢\(spot)\(finding)"
                let area = record.area
                point = MicroPoint(
                    longitude: area.west + area.width * random.int(in: 5...95) / 100,
                    latitude: area.south + area.height * random.int(in: 5...95) / 100
                )
            } while role == .withoutCoordinates
                ? !withoutPoints.insert("\(category)\n\(description)").inserted
                : !points.insert(point.longitude * 1_000_000_000 + point.latitude).inserted
            if role == .multiLine {
                category = "施工扰民"
                description =
                    "居民反映\(description.prefix(while: { $0 != "幢" }))幢附近工地：\n"
                    + "1. 夜间22点后仍在施工（11月12日22:40, 23:15 两次），\"影响老人和孩子休息\"；\n"
                    + "2. 渣土车未覆盖，沿途撒漏。"
            }
            var longitude = Self.degrees(point.longitude)
            var latitude = Self.degrees(point.latitude)
            switch role {
            case .withoutCoordinates:
                longitude = ""
                latitude = ""
            case .malformedLatitude:
                latitude = "北纬" + latitude
            case .missingCategory:
                category = ""
            default:
                break
            }
            distinctRows.append(
                Row(
                    fields: [
                        caseNumber, time, origin, category, description, address, longitude, latitude,
                        inspector.name, inspector.phone, "待处置",
                    ],
                    role: role
                )
            )
        }
        // The repeated rows come again a few rows after themselves, as overlapping exports bring them.
        var insertions: [(after: Int, row: Row)] = []
        for index in repeated {
            var copy = distinctRows[index]
            copy.role = .duplicate(of: copy.fields[0])
            insertions.append((min(distinct - 1, index + random.int(in: 1...8)), copy))
        }
        for (index, row) in distinctRows.enumerated() {
            rows.append(row)
            for insertion in insertions where insertion.after == index {
                rows.append(insertion.row)
            }
        }
        precondition(rows.count == Plan.exportRows, "the export has \(rows.count) rows, not \(Plan.exportRows)")
    }

    /// Millionths of a degree as decimal degrees with six places: 120145512 → "120.145512".
    static func degrees(_ micro: Int) -> String {
        let sign = micro < 0 ? "-" : ""
        let magnitude = abs(micro)
        return "\(sign)\(magnitude / 1_000_000).\(Codes.pad(magnitude % 1_000_000, width: 6))"
    }
}
