/// SplitMix64 (Steele, Lea and Flood, 2014): a small generator whose output depends only on its seed.
///
/// The sample data must be the same bytes on every run and every machine, so nothing here uses the standard
/// library's random algorithms (whose implementation may change between toolchains), the system's generator, or
/// floating-point functions from the C library: only integer arithmetic and correctly rounded double arithmetic.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    /// A generator for one part of the data. Each part draws from a stream of its own, so that changing how one
    /// part is generated leaves the others as they were.
    init(seed: UInt64, stream: String) {
        // FNV-1a of the stream's name, mixed into the seed.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in stream.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        state = seed ^ hash
        _ = next()
    }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Uniform in `0..<bound` (Lemire's multiply-shift; the bias is far below anything these data could show).
    mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0, "an empty range")
        return Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// Uniform in `range`.
    mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.count)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// True with probability `probability`.
    mutating func chance(_ probability: Double) -> Bool {
        unit() < probability
    }

    mutating func pick<Element>(_ items: [Element]) -> Element {
        items[below(items.count)]
    }

    /// An index of `weights`, each with a probability proportional to its weight.
    mutating func weighted(_ weights: [Double]) -> Int {
        var total = 0.0
        for weight in weights { total += weight }
        var target = unit() * total
        for (index, weight) in weights.enumerated() {
            if target < weight { return index }
            target -= weight
        }
        return weights.count - 1
    }

    /// Fisher–Yates.
    mutating func shuffle<Element>(_ items: inout [Element]) {
        guard items.count > 1 else { return }
        for index in stride(from: items.count - 1, to: 0, by: -1) {
            items.swapAt(index, below(index + 1))
        }
    }
}

/// Draws without replacement, each remaining item with a probability proportional to its weight: a Fenwick tree
/// over integer weights, so that drawing k of n items takes O(k log n) and no floating point at all.
struct WeightedDraw {
    private var tree: [Int]
    private var weights: [Int]
    private(set) var total: Int

    init(weights: [Int]) {
        precondition(weights.allSatisfy { $0 >= 0 }, "a negative weight")
        self.weights = weights
        tree = [Int](repeating: 0, count: weights.count + 1)
        total = 0
        for (index, weight) in weights.enumerated() where weight > 0 {
            add(weight, at: index)
        }
    }

    private mutating func add(_ delta: Int, at index: Int) {
        var position = index + 1
        while position < tree.count {
            tree[position] += delta
            position += position & -position
        }
        total += delta
    }

    /// Removes and returns one item, or nil when every remaining weight is zero.
    mutating func draw(using random: inout SplitMix64) -> Int? {
        guard total > 0 else { return nil }
        var target = random.below(total)
        // Descend the tree for the first position whose prefix sum exceeds `target`.
        var position = 0
        var step = 1
        while step * 2 < tree.count { step *= 2 }
        while step > 0 {
            let next = position + step
            if next < tree.count && tree[next] <= target {
                position = next
                target -= tree[next]
            }
            step /= 2
        }
        let index = position
        add(-weights[index], at: index)
        weights[index] = 0
        return index
    }
}
