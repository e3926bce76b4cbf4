import GongzhiGridSchemas
import GongzhiIntakeSchemas
import GongzhiPluginSDK
import GongzhiRPC
import GongzhiSchemas
import Logging

/// The items of each grid case, to follow a case to the items it came from.
struct ItemsByCase: ObjectBookIndex {
    typealias Item = TypedObject<Gongzhi_Intake_V1_IntakeItem>
    var ids: [String: Set<String>] = [:]

    mutating func keep(_ item: Item, replacing held: Item?) {
        if let held { drop(held) }
        if !item.message.caseID.isEmpty { ids[item.message.caseID, default: []].insert(item.id) }
    }

    mutating func drop(_ held: Item) {
        ids[held.message.caseID]?.remove(held.id)
        if ids[held.message.caseID]?.isEmpty == true { ids[held.message.caseID] = nil }
    }
}

/// The intake module's objects in memory, each kept by a watch of its kind and by the plugin's own writes:
/// items, dead letters, the device registry, and the district's departments (for 对口 dispatch).
final class IntakeBooks: Sendable {
    let items: ObjectBook<Gongzhi_Intake_V1_IntakeItem, ItemsByCase>
    let deadLetters: ObjectBook<Gongzhi_Intake_V1_DeadLetter, NoObjectIndex<Gongzhi_Intake_V1_DeadLetter>>
    let devices: ObjectBook<Gongzhi_Intake_V1_SensorDevice, NoObjectIndex<Gongzhi_Intake_V1_SensorDevice>>
    let departments: ObjectCache<Gongzhi_Core_V1_Department>
    let objects: HostObjects

    init(objects: HostObjects, logger: Logger) {
        self.objects = objects
        items = ObjectBook(
            Gongzhi_Intake_V1_IntakeItem.self,
            objects: objects,
            logger: logger,
            noun: "item",
            index: ItemsByCase(),
            storing: IntakeKinds.item
        )
        deadLetters = ObjectBook(
            Gongzhi_Intake_V1_DeadLetter.self,
            objects: objects,
            logger: logger,
            noun: "dead letter",
            index: NoObjectIndex(),
            storing: IntakeKinds.deadLetter
        )
        devices = ObjectBook(
            Gongzhi_Intake_V1_SensorDevice.self,
            objects: objects,
            logger: logger,
            noun: "device",
            index: NoObjectIndex(),
            storing: IntakeKinds.device
        )
        departments = ObjectCache(Gongzhi_Core_V1_Department.self, objects: objects, logger: logger)
    }

    /// Follows the store until cancelled.
    func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.items.run() }
            group.addTask { await self.deadLetters.run() }
            group.addTask { await self.devices.run() }
            group.addTask { await self.departments.run() }
        }
    }

    func waitUntilSynced() async {
        await items.waitUntilSynced()
        await deadLetters.waitUntilSynced()
        await devices.waitUntilSynced()
    }

    func device(_ id: String) -> Gongzhi_Intake_V1_SensorDevice? {
        devices[id]?.message
    }

    /// Catalogue category → the department responsible for it where the place lies (a department whose region
    /// is the grid, its community or its street).
    func departmentsByCategory(place: Gongzhi_Grid_V1_LocateResponse) -> [String: String] {
        let regions: Set<String> = [place.gridCode, place.communityCode, place.streetCode]
        var result: [String: String] = [:]
        for department in departments.snapshot.values.map(\.message).sorted(by: { $0.id < $1.id })
        where regions.contains(department.regionCode) && !department.regionCode.isEmpty {
            for category in department.categories where result[category] == nil {
                result[category] = department.id
            }
        }
        return result
    }

    /// Creates an item; when it exists (a run after a crash), the one the host holds.
    func createItem(_ item: Gongzhi_Intake_V1_IntakeItem) async throws -> Gongzhi_Intake_V1_IntakeItem {
        do {
            return try await items.create(item).message
        } catch let error as RPCError where error.code == .alreadyExists {
            guard let held = try await items.fetch(item.id) else { throw error }
            return held.message
        }
    }

    /// Creates a dead letter; when it exists (a run after a crash, or an input refused again on replay), the
    /// one the host holds.
    func createDeadLetter(_ letter: Gongzhi_Intake_V1_DeadLetter) async throws -> Gongzhi_Intake_V1_DeadLetter {
        do {
            return try await deadLetters.create(letter).message
        } catch let error as RPCError where error.code == .alreadyExists {
            guard let held = try await deadLetters.fetch(letter.id) else { throw error }
            return held.message
        }
    }

    /// Writes an alert as it now stands, created or over whatever the host holds.
    func putAlert(_ alert: Gongzhi_Intake_V1_SensorAlert) async throws -> Gongzhi_Intake_V1_SensorAlert {
        do {
            return try await objects.create(IntakeKinds.alert(alert)).message
        } catch let error as RPCError where error.code == .alreadyExists {
            for _ in 0..<5 {
                guard let held = try await objects.get(Gongzhi_Intake_V1_SensorAlert.self, id: alert.id) else {
                    throw error
                }
                var object = IntakeKinds.alert(alert)
                object.revision = held.revision
                do {
                    return try await objects.update(object).message
                } catch let conflict as RPCError where conflict.code == .aborted {
                    continue
                }
            }
            throw RPCError(code: .aborted, message: "the alert \(alert.id) kept changing")
        }
    }

    /// Registers devices or writes their new version.
    func putDevice(_ device: Gongzhi_Intake_V1_SensorDevice) async throws -> Gongzhi_Intake_V1_SensorDevice {
        if let held = devices[device.id] {
            return try await devices.update(device, over: held.revision).message
        }
        do {
            return try await devices.create(device).message
        } catch let error as RPCError where error.code == .alreadyExists {
            guard let held = try await devices.fetch(device.id) else { throw error }
            return try await devices.update(device, over: held.revision).message
        }
    }
}
