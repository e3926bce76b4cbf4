/// The undo journal of a linked chain: every change a transfer of the chain makes is noted with what it replaced,
/// so that a chain whose later transfer fails leaves no trace.
extension PointsBook {
    enum Undo: Sendable {
        case account(String, Account?, wasChanged: Bool)
        case transfer(previousHeadSequence: Int64, previousHeadHash: [UInt8])
        case pending(String, Pending?)
        case reversed(String, Int64?)
        case capUsage(CapKey, Int64?)
        case good(String, Good?, wasChanged: Bool)
        case redemption(String, Redemption?, wasChanged: Bool)
        case record(String, ServiceRecord?, wasChanged: Bool)
    }

    mutating func setRecord(_ record: ServiceRecord) {
        journal?.append(.record(record.id, records[record.id], wasChanged: changes.records.contains(record.id)))
        records[record.id] = record
        changes.records.insert(record.id)
    }

    mutating func setAccount(_ account: Account) {
        journal?.append(.account(account.id, accounts[account.id], wasChanged: changes.accounts.contains(account.id)))
        accounts[account.id] = account
        changes.accounts.insert(account.id)
    }

    mutating func setPending(_ id: String, _ state: Pending) {
        journal?.append(.pending(id, pending[id]))
        pending[id] = state
    }

    mutating func setReversed(_ id: String, _ amount: Int64) {
        journal?.append(.reversed(id, reversed[id]))
        reversed[id] = amount
    }

    mutating func setCapUsage(_ key: CapKey, _ amount: Int64) {
        journal?.append(.capUsage(key, capUsage[key]))
        capUsage[key] = amount
    }

    mutating func setGood(_ good: Good) {
        journal?.append(.good(good.id, goods[good.id], wasChanged: changes.goods.contains(good.id)))
        goods[good.id] = good
        changes.goods.insert(good.id)
    }

    mutating func setRedemption(_ redemption: Redemption) {
        journal?.append(
            .redemption(
                redemption.id,
                redemptions[redemption.id],
                wasChanged: changes.redemptions.contains(redemption.id)
            )
        )
        redemptions[redemption.id] = redemption
        changes.redemptions.insert(redemption.id)
    }

    /// Undoes everything the journal noted, newest first, and stops journaling.
    mutating func rollBack() {
        guard let entries = journal else { return }
        journal = nil
        for entry in entries.reversed() {
            switch entry {
            case .account(let id, let previous, let wasChanged):
                accounts[id] = previous
                if !wasChanged { changes.accounts.remove(id) }
            case .transfer(let sequence, let hash):
                let transfer = transfers.removeLast()
                transferIndex[transfer.id] = nil
                accountTransfers[transfer.creditAccountID]?.removeLast()
                accountTransfers[transfer.debitAccountID]?.removeLast()
                if changes.transfers.last?.id == transfer.id { changes.transfers.removeLast() }
                headSequence = sequence
                headHash = hash
            case .pending(let id, let previous):
                pending[id] = previous
            case .reversed(let id, let previous):
                reversed[id] = previous
            case .capUsage(let key, let previous):
                capUsage[key] = previous
            case .good(let id, let previous, let wasChanged):
                goods[id] = previous
                if !wasChanged { changes.goods.remove(id) }
            case .redemption(let id, let previous, let wasChanged):
                redemptions[id] = previous
                if !wasChanged { changes.redemptions.remove(id) }
            case .record(let id, let previous, let wasChanged):
                records[id] = previous
                if !wasChanged { changes.records.remove(id) }
            }
        }
    }
}
