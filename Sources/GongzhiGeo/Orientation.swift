/// The orientation of the triangle (a, b, c) with an exact sign: positive when c lies to the left of the directed
/// line a→b (the three points turn counter-clockwise), negative when it lies to the right, zero when the three
/// points are collinear.
///
/// The value is the floating-point determinant when its sign is certain (Shewchuk's error bound), and otherwise
/// a value with the sign of the exact determinant, computed with error-free transformations. Exact for all finite
/// inputs whose products neither overflow nor underflow, which holds for any longitude and latitude.
@inline(__always)
func orientation(
    _ ax: Double,
    _ ay: Double,
    _ bx: Double,
    _ by: Double,
    _ cx: Double,
    _ cy: Double
) -> Double {
    let detLeft = (ax - cx) * (by - cy)
    let detRight = (ay - cy) * (bx - cx)
    let det = detLeft - detRight
    let detSum: Double
    if detLeft > 0 {
        if detRight <= 0 { return det }
        detSum = detLeft + detRight
    } else if detLeft < 0 {
        if detRight >= 0 { return det }
        detSum = -detLeft - detRight
    } else {
        return det
    }
    let errorBound = orientationErrorBound * detSum
    if det >= errorBound || -det >= errorBound { return det }
    return exactOrientation(ax, ay, bx, by, cx, cy)
}

/// (3 + 16ε)ε with ε = 2⁻⁵³: the relative error bound of the floating-point orientation determinant.
private let orientationErrorBound: Double = {
    let epsilon = Double.ulpOfOne / 2
    return (3 + 16 * epsilon) * epsilon
}()

/// The sign of (ax − cx)(by − cy) − (ay − cy)(bx − cx), computed exactly as a sum of sixteen products of
/// floating-point numbers kept in a non-overlapping expansion.
@inline(never)
private func exactOrientation(
    _ ax: Double,
    _ ay: Double,
    _ bx: Double,
    _ by: Double,
    _ cx: Double,
    _ cy: Double
) -> Double {
    let acx = twoDifference(ax, cx)
    let bcy = twoDifference(by, cy)
    let acy = twoDifference(ay, cy)
    let bcx = twoDifference(bx, cx)
    var expansion = Expansion()
    for (left, right, sign) in [
        (acx.high, bcy.high, 1.0), (acx.high, bcy.low, 1.0), (acx.low, bcy.high, 1.0), (acx.low, bcy.low, 1.0),
        (acy.high, bcx.high, -1.0), (acy.high, bcx.low, -1.0), (acy.low, bcx.high, -1.0), (acy.low, bcx.low, -1.0),
    ] {
        let product = twoProduct(left, right)
        expansion.add(sign * product.high)
        expansion.add(sign * product.low)
    }
    return expansion.sign
}

/// A sum of doubles held exactly: non-overlapping components in increasing magnitude (Shewchuk's expansions).
private struct Expansion {
    var components: [Double] = []

    /// Adds `value` exactly (Grow-Expansion).
    mutating func add(_ value: Double) {
        var carry = value
        for index in components.indices {
            let sum = twoSum(carry, components[index])
            components[index] = sum.low
            carry = sum.high
        }
        components.append(carry)
    }

    /// The sign of the exact sum, as -1, 0 or 1: the sign of its largest non-zero component.
    var sign: Double {
        for component in components.reversed() where component != 0 {
            return component > 0 ? 1 : -1
        }
        return 0
    }
}

/// a + b = high + low exactly.
@inline(__always)
private func twoSum(_ a: Double, _ b: Double) -> (high: Double, low: Double) {
    let high = a + b
    let bVirtual = high - a
    let aVirtual = high - bVirtual
    return (high, (a - aVirtual) + (b - bVirtual))
}

/// a − b = high + low exactly.
@inline(__always)
private func twoDifference(_ a: Double, _ b: Double) -> (high: Double, low: Double) {
    let high = a - b
    let bVirtual = a - high
    let aVirtual = high + bVirtual
    return (high, (a - aVirtual) + (bVirtual - b))
}

/// a × b = high + low exactly (with a fused multiply-add).
@inline(__always)
private func twoProduct(_ a: Double, _ b: Double) -> (high: Double, low: Double) {
    let high = a * b
    return (high, (-high).addingProduct(a, b))
}

/// How two closed segments meet.
enum SegmentIntersection: Equatable {
    /// They do not meet.
    case disjoint
    /// They cross at a single point inside both.
    case crossing(x: Double, y: Double)
    /// They meet at a single point that is an endpoint of at least one of them.
    case touching(x: Double, y: Double)
    /// They are collinear and share more than a point; the point is one end of the shared part.
    case overlapping(x: Double, y: Double)
}

/// How segments a–b and c–d meet, decided with exact orientation tests (the crossing point itself is rounded).
func intersection(
    _ ax: Double,
    _ ay: Double,
    _ bx: Double,
    _ by: Double,
    _ cx: Double,
    _ cy: Double,
    _ dx: Double,
    _ dy: Double
) -> SegmentIntersection {
    if max(ax, bx) < min(cx, dx) || max(cx, dx) < min(ax, bx) || max(ay, by) < min(cy, dy)
        || max(cy, dy) < min(ay, by)
    {
        return .disjoint
    }
    let o1 = orientation(ax, ay, bx, by, cx, cy)
    let o2 = orientation(ax, ay, bx, by, dx, dy)
    if o1 == 0 && o2 == 0 {
        // Collinear (the bounding boxes overlap): compare along the axis where a–b or c–d spans more.
        let alongX = max(abs(bx - ax), abs(dx - cx)) >= max(abs(by - ay), abs(dy - cy))
        let (a, b, c, d) = alongX ? (ax, bx, cx, dx) : (ay, by, cy, dy)
        let low = max(min(a, b), min(c, d))
        let high = min(max(a, b), max(c, d))
        if low > high { return .disjoint }
        // The shared part's low end is an endpoint of one of the segments: find which, to return exact doubles.
        let candidates = [(ax, ay, a), (bx, by, b), (cx, cy, c), (dx, dy, d)]
        let start = candidates.first { $0.2 == low }!
        return low == high ? .touching(x: start.0, y: start.1) : .overlapping(x: start.0, y: start.1)
    }
    if (o1 > 0 && o2 > 0) || (o1 < 0 && o2 < 0) { return .disjoint }
    let o3 = orientation(cx, cy, dx, dy, ax, ay)
    let o4 = orientation(cx, cy, dx, dy, bx, by)
    if (o3 > 0 && o4 > 0) || (o3 < 0 && o4 < 0) { return .disjoint }
    if o1 == 0 { return .touching(x: cx, y: cy) }
    if o2 == 0 { return .touching(x: dx, y: dy) }
    if o3 == 0 { return .touching(x: ax, y: ay) }
    if o4 == 0 { return .touching(x: bx, y: by) }
    let denominator = (bx - ax) * (dy - cy) - (by - ay) * (dx - cx)
    let t = ((cx - ax) * (dy - cy) - (cy - ay) * (dx - cx)) / denominator
    return .crossing(x: ax + t * (bx - ax), y: ay + t * (by - ay))
}
