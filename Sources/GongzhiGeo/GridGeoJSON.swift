import GongzhiDocuments

/// One grid read from a GeoJSON file.
public struct GridFeature: Hashable, Sendable {
    /// The 15-digit grid code (`properties.code`).
    public var code: String
    /// The grid's name (`properties.name`).
    public var name: String
    /// The 12-digit community code (`properties.community_code`, or else the first 12 digits of the code).
    public var communityCode: String
    public var polygon: GeoPolygon
    /// The line (from 1) where the feature starts in its file.
    public var line: Int

    public init(code: String, name: String, communityCode: String, polygon: GeoPolygon, line: Int) {
        self.code = code
        self.name = name
        self.communityCode = communityCode
        self.polygon = polygon
        self.line = line
    }
}

/// Everything wrong with a GeoJSON file of grids: every problem found, each with its line.
public struct GridGeoJSONError: Error, Hashable, Sendable, CustomStringConvertible {
    /// One problem, at one line of the file.
    public struct Problem: Hashable, Sendable, CustomStringConvertible {
        /// What kind of problem, stable for programs to switch on.
        public enum Code: String, Hashable, Sendable {
            /// The file is not JSON; ``Problem/column`` says where it stops being JSON.
            case malformedJSON = "malformed_json"
            /// JSON, but not the expected GeoJSON structure (not a FeatureCollection, not a Polygon, a missing code…).
            case invalidStructure = "invalid_structure"
            /// A polygon or code that ``GeoValidation`` rejects; ``Problem/validation`` has the details.
            case invalidGrid = "invalid_grid"
            /// Two features with the same code.
            case duplicateCode = "duplicate_code"
        }

        public var code: Code
        /// The file's name as given to ``GridGeoJSON/parse(_:name:)``.
        public var fileName: String
        /// The line, from 1.
        public var line: Int
        /// The column, from 1, for malformed JSON.
        public var column: Int?
        /// The feature's index in `features`, from 0.
        public var featureIndex: Int?
        /// The feature's grid code, when it has one.
        public var gridCode: String?
        /// The validation problem, for ``Code/invalidGrid``.
        public var validation: GeoValidation.Problem?
        /// What is wrong.
        public var message: String

        public init(
            code: Code,
            fileName: String,
            line: Int,
            column: Int? = nil,
            featureIndex: Int? = nil,
            gridCode: String? = nil,
            validation: GeoValidation.Problem? = nil,
            message: String
        ) {
            self.code = code
            self.fileName = fileName
            self.line = line
            self.column = column
            self.featureIndex = featureIndex
            self.gridCode = gridCode
            self.validation = validation
            self.message = message
        }

        /// `name:LINE: feature N (code …): problem`, or `name:LINE:COLUMN: problem` for malformed JSON.
        public var description: String {
            var text = "\(fileName):\(line):"
            if let column { text += "\(column):" }
            if let featureIndex {
                text += " feature \(featureIndex)"
                if let gridCode { text += " (code \(gridCode))" }
                text += ":"
            }
            return text + " " + message
        }
    }

    /// The problems, in the order of the file.
    public var problems: [Problem]

    public init(problems: [Problem]) {
        self.problems = problems
    }

    /// One problem a line.
    public var description: String {
        problems.map(\.description).joined(separator: "\n")
    }
}

/// Reads grids from a GeoJSON FeatureCollection (RFC 7946): each feature a Polygon (or a MultiPolygon of exactly
/// one polygon) with `properties.code`, `properties.name` and optionally `properties.community_code`.
public enum GridGeoJSON {
    /// The grids in `bytes`, or every problem found: malformed JSON (with line and column), wrong structure,
    /// invalid polygons and codes (``GeoValidation``), a community code that does not agree with the grid code,
    /// and duplicate codes. `name` names the file in the messages. Positions are [longitude, latitude]; an
    /// altitude is ignored.
    public static func parse(_ bytes: [UInt8], name: String) throws(GridGeoJSONError) -> [GridFeature] {
        let root: SourceValue
        do {
            root = try JSONText.value(in: bytes)
        } catch {
            throw GridGeoJSONError(problems: [
                Problem(
                    code: .malformedJSON,
                    fileName: name,
                    line: error.line,
                    column: error.column,
                    message: "malformed JSON: \(error.problem)"
                )
            ])
        }
        var problems = [Problem]()
        func structure(_ value: SourceValue, _ message: String, feature: Int? = nil, code: String? = nil) {
            problems.append(
                Problem(
                    code: .invalidStructure,
                    fileName: name,
                    line: value.line,
                    featureIndex: feature,
                    gridCode: code,
                    message: message
                )
            )
        }
        guard root.isObject else {
            structure(root, "expected a GeoJSON FeatureCollection object, found \(root.jsonTypeDescription)")
            throw GridGeoJSONError(problems: problems)
        }
        guard root["type"]?.string == "FeatureCollection" else {
            let found = root["type"].map { describe($0) } ?? "no \"type\""
            structure(root["type"] ?? root, "expected \"type\": \"FeatureCollection\", found \(found)")
            throw GridGeoJSONError(problems: problems)
        }
        guard let features = root["features"]?.array else {
            let found = root["features"].map(\.jsonTypeDescription) ?? "nothing"
            structure(root["features"] ?? root, "expected \"features\" to be an array, found \(found)")
            throw GridGeoJSONError(problems: problems)
        }
        var grids = [GridFeature]()
        var firstLineOfCode = [String: (line: Int, feature: Int)]()
        for (index, feature) in features.enumerated() {
            guard feature.isObject else {
                structure(feature, "expected a Feature object, found \(feature.jsonTypeDescription)", feature: index)
                continue
            }
            let properties = feature["properties"]
            let code = properties?["code"]?.string
            func fail(_ value: SourceValue, _ message: String) {
                structure(value, message, feature: index, code: code)
            }
            guard feature["type"]?.string == "Feature" else {
                fail(
                    feature["type"] ?? feature,
                    "expected \"type\": \"Feature\", found \(feature["type"].map { describe($0) } ?? "no \"type\"")"
                )
                continue
            }
            guard let properties, properties.isObject else {
                fail(
                    properties ?? feature,
                    "expected \"properties\" to be an object, found \(properties?.jsonTypeDescription ?? "nothing")"
                )
                continue
            }
            var structureOK = true
            if code == nil {
                let found = properties["code"].map { describe($0) } ?? "nothing"
                fail(properties["code"] ?? properties, "properties.code is missing: expected a string, found \(found)")
                structureOK = false
            }
            let gridName = properties["name"]?.string
            if gridName == nil {
                let found = properties["name"].map { describe($0) } ?? "nothing"
                fail(properties["name"] ?? properties, "properties.name is missing: expected a string, found \(found)")
                structureOK = false
            }
            var communityCode = code.map { String(decoding: $0.utf8.prefix(12), as: UTF8.self) }
            if let given = properties["community_code"], !given.isNull {
                if let text = given.string {
                    communityCode = text
                } else {
                    fail(given, "properties.community_code must be a string, found \(given.jsonTypeDescription)")
                    structureOK = false
                }
            }
            let geometry: (polygon: GeoPolygon, lines: [[Int]], value: SourceValue)?
            do {
                geometry = try readGeometry(feature["geometry"], feature)
            } catch {
                fail(error.value, error.message)
                geometry = nil
                structureOK = false
            }
            guard structureOK, let code, let gridName, let communityCode, let geometry else { continue }

            var valid = true
            func invalid(_ line: Int, _ problem: GeoValidation.Problem) {
                problems.append(
                    Problem(
                        code: .invalidGrid,
                        fileName: name,
                        line: line,
                        featureIndex: index,
                        gridCode: code,
                        validation: problem,
                        message: problem.message
                    )
                )
                valid = false
            }
            let codeLine = properties["code"]!.line
            if let problem = GeoValidation.problem(gridCode: code) {
                invalid(codeLine, problem)
            }
            if let problem = GeoValidation.problem(communityCode: communityCode) {
                invalid(properties["community_code"]?.line ?? codeLine, problem)
            } else if GeoValidation.problem(gridCode: code) == nil
                && !GeoValidation.agrees(gridCode: code, communityCode: communityCode)
            {
                invalid(
                    properties["community_code"]?.line ?? codeLine,
                    GeoValidation.Problem(
                        code: .codesDisagree,
                        message: "community code \(communityCode) is not the first 12 digits of the grid code \(code)"
                    )
                )
            }
            for problem in GeoValidation.problems(in: geometry.polygon) {
                var line = geometry.value.line
                if let ring = problem.ring {
                    let ringIndex = if case .hole(let hole) = ring { hole + 1 } else { 0 }
                    let lines = geometry.lines[ringIndex]
                    if let point = problem.pointIndex, lines.indices.contains(point) {
                        line = lines[point]
                    } else if let first = lines.first {
                        line = first
                    }
                }
                invalid(line, problem)
            }
            if let first = firstLineOfCode[code] {
                problems.append(
                    Problem(
                        code: .duplicateCode,
                        fileName: name,
                        line: codeLine,
                        featureIndex: index,
                        gridCode: code,
                        message: "duplicate code: feature \(first.feature) on line \(first.line) has the same code"
                    )
                )
                valid = false
            } else {
                firstLineOfCode[code] = (codeLine, index)
            }
            if valid {
                grids.append(
                    GridFeature(
                        code: code,
                        name: gridName,
                        communityCode: communityCode,
                        polygon: geometry.polygon,
                        line: feature.line
                    )
                )
            }
        }
        if !problems.isEmpty { throw GridGeoJSONError(problems: problems) }
        return grids
    }

    private typealias Problem = GridGeoJSONError.Problem

    /// A structural problem found while reading a geometry.
    private struct StructureError: Error {
        var value: SourceValue
        var message: String
    }

    /// The polygon of a geometry, with the line of each of its positions.
    private static func readGeometry(
        _ geometry: SourceValue?,
        _ feature: SourceValue
    ) throws(StructureError) -> (polygon: GeoPolygon, lines: [[Int]], value: SourceValue) {
        guard let geometry, geometry.isObject else {
            throw StructureError(
                value: geometry ?? feature,
                message:
                    "expected \"geometry\" to be a Polygon object, found \(geometry?.jsonTypeDescription ?? "nothing")"
            )
        }
        guard let coordinates = geometry["coordinates"] else {
            throw StructureError(value: geometry, message: "the geometry has no \"coordinates\"")
        }
        var rings: SourceValue
        switch geometry["type"]?.string {
        case "Polygon":
            rings = coordinates
        case "MultiPolygon":
            guard let polygons = coordinates.array, polygons.count == 1 else {
                let count = coordinates.array.map { "\($0.count) polygons" } ?? coordinates.jsonTypeDescription
                throw StructureError(
                    value: coordinates,
                    message: "a grid's MultiPolygon must hold exactly one polygon, found \(count)"
                )
            }
            rings = polygons[0]
        default:
            let found = geometry["type"].map { describe($0) } ?? "no \"type\""
            throw StructureError(
                value: geometry["type"] ?? geometry,
                message: "expected the geometry to be a Polygon (or a MultiPolygon of one polygon), found \(found)"
            )
        }
        guard let ringValues = rings.array, !ringValues.isEmpty else {
            throw StructureError(
                value: rings,
                message:
                    "expected the polygon's coordinates to be a non-empty array of rings, found "
                    + rings.jsonTypeDescription
            )
        }
        var points = [[GeoPoint]]()
        var lines = [[Int]]()
        for ring in ringValues {
            guard let positions = ring.array else {
                throw StructureError(
                    value: ring,
                    message: "expected a ring (an array of positions), found \(ring.jsonTypeDescription)"
                )
            }
            var ringPoints = [GeoPoint]()
            var ringLines = [Int]()
            ringPoints.reserveCapacity(positions.count)
            ringLines.reserveCapacity(positions.count)
            for position in positions {
                guard let pair = position.array, pair.count >= 2 else {
                    throw StructureError(
                        value: position,
                        message:
                            "expected a position [longitude, latitude], found "
                            + (position.array.map { "an array of \($0.count)" } ?? position.jsonTypeDescription)
                    )
                }
                for coordinate in pair where coordinate.number == nil {
                    throw StructureError(
                        value: coordinate,
                        message: "expected a number in a position, found \(describe(coordinate))"
                    )
                }
                ringPoints.append(GeoPoint(longitude: pair[0].number!, latitude: pair[1].number!))
                ringLines.append(position.line)
            }
            points.append(ringPoints)
            lines.append(ringLines)
        }
        return (GeoPolygon(outer: points[0], holes: Array(points.dropFirst())), lines, geometry)
    }

    /// A short description of a value for messages: strings quoted, other values by kind.
    private static func describe(_ value: SourceValue) -> String {
        if let text = value.string { return "\"\(text)\"" }
        if let number = value.number { return "\(number)" }
        return value.jsonTypeDescription
    }
}
