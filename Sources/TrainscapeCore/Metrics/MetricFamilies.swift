import Foundation

/// Metrics logged once per layer, such as `grad_norm/layer_0`, `grad_norm/layer_1`, ...
/// (one key per layer), or per parameter inside layers, such as
/// `grad_norm/model.layers.3.mlp.down_proj.weight` (several keys per layer, combined with a
/// `LayerReduce`). Parameters outside every layer (embeddings, the final norm, the head) are
/// the family's `extras`.
public struct MetricFamily: Sendable, Equatable {
  /// One layer of a family: its index and the keys logged for it (one per parameter).
  public struct Member: Sendable, Equatable {
    public var layer: Int
    /// Sorted; one key for a family of per-layer metrics.
    public var keys: [String]
    /// The first key (the only one for a family of per-layer metrics).
    public var key: String { keys[0] }

    public init(layer: Int, key: String) {
      self.layer = layer
      self.keys = [key]
    }

    public init(layer: Int, keys: [String]) {
      precondition(!keys.isEmpty, "a family member needs at least one key")
      self.layer = layer
      self.keys = keys.sorted()
    }

    /// The layer's value in a row: its keys' values combined with `reduce` (NaN and
    /// infinities propagate); nil when the row has none of them.
    public func value(in values: [String: Double], reduce: LayerReduce) -> Double? {
      if keys.count == 1 { return values[keys[0]] }
      var present: [Double] = []
      for k in keys { if let v = values[k] { present.append(v) } }
      return present.isEmpty ? nil : reduce.combine(present)
    }
  }

  /// A parameter outside every layer: drawn as a row before the layers (embeddings) or after
  /// them (final norm, head) with `--extras`.
  public struct Extra: Sendable, Equatable {
    /// The parameter's name (the key after the family's prefix).
    public var name: String
    public var key: String
    public var before: Bool
    public init(name: String, key: String, before: Bool) {
      self.name = name
      self.key = key
      self.before = before
    }
  }

  /// The family's name (`grad_norm`, `mlp_direct_loss`, `transformer.h`).
  public var prefix: String
  /// Sorted numerically by layer (`layer_10` after `layer_9`).
  public var members: [Member]
  /// Parameters under the same prefix outside every layer (parameter families only).
  public var extras: [Extra]
  /// Where the layers sit in the parameter names (`model.layers`, `transformer.h`), for
  /// families found from parameter names; nil for `PREFIX/layer_N`-style families.
  public var container: String?

  public init(prefix: String, members: [Member], extras: [Extra] = [], container: String? = nil) {
    self.prefix = prefix
    self.members = members.sorted { $0.layer < $1.layer }
    self.extras = extras
    self.container = container
  }

  /// The layer numbers, ascending.
  public var layers: [Int] { members.map(\.layer) }

  /// Whether some layer has more than one key (a `LayerReduce` combines them).
  public var combinesParameters: Bool { members.contains { $0.keys.count > 1 } }

  /// Every key of the family's layers.
  public var allKeys: [String] { members.flatMap(\.keys) }

  /// The family with its extras as rows: those before the layers at indices below the first
  /// layer, those after at indices above the last, in name order.
  public func withExtrasAsRows() -> MetricFamily {
    guard let lo = layers.first, let hi = layers.last else { return self }
    let before = extras.filter(\.before), after = extras.filter { !$0.before }
    var m = members
    for (i, e) in before.enumerated() { m.append(Member(layer: lo - before.count + i, key: e.key)) }
    for (i, e) in after.enumerated() { m.append(Member(layer: hi + 1 + i, key: e.key)) }
    return MetricFamily(prefix: prefix, members: m, extras: [], container: container)
  }

  /// Whether the family holds gradient norms (or gradients), judged by its name.
  public var isGradient: Bool {
    let n = prefix.lowercased()
    return n.contains("grad")
  }
}

/// How one layer's parameters combine into the layer's value.
public enum LayerReduce: String, CaseIterable, Sendable {
  /// The square root of the sum of squares: exactly the layer's gradient norm when
  /// per-parameter norms are logged.
  case l2
  case sum
  case mean
  case max

  public func combine(_ values: [Double]) -> Double {
    switch self {
    case .l2:
      var s = 0.0
      for v in values { s += v * v }
      return s.squareRoot()
    case .sum: return values.reduce(0, +)
    case .mean: return values.reduce(0, +) / Double(values.count)
    case .max:
      if values.contains(where: \.isNaN) { return .nan }
      return values.max()!
    }
  }

  /// The default for a family: l2 for norms (gradient or weight norms), mean otherwise.
  public static func defaultFor(_ family: MetricFamily) -> LayerReduce {
    family.prefix.lowercased().contains("norm") || family.prefix.lowercased().contains("grad") ? .l2 : .mean
  }
}

/// Finds metric families among metric keys.
///
/// A key belongs to family PREFIX with layer N when it has one of the forms
/// `PREFIX/layer_N`, `PREFIX/layerN`, `PREFIX/N`, `PREFIX.N`,
/// `PREFIX.layer_N`, `PREFIX_N`, `PREFIX_layer_N` (N a non-negative decimal
/// integer, PREFIX non-empty).
///
/// Some keys match two forms: `grad/layer_3` is `grad` + `/layer_3` and also
/// `grad/layer` + `_3`. The word `layer` is read as part of the separator
/// first (family `grad`), because that is what the `layer_N` forms are for.
/// When that reading makes two keys claim the same layer of the same family
/// (`enc_layer_0` next to `enc_0`), the keys that have another reading move
/// to their longest other prefix (`enc_layer`), so the longest prefix wins
/// conflicts. Keys that still collide keep the first key in sorted order.
public enum MetricFamilies {
  /// Families with at least two layers, sorted by prefix.
  public static func detect<S: Sequence>(in keys: S) -> [MetricFamily]
  where S.Element == String {
    assign(keys).filter { $0.members.count >= 2 }
  }

  /// The family with the given prefix (one layer is enough), or nil.
  public static func family<S: Sequence>(named prefix: String, in keys: S)
    -> MetricFamily?
  where S.Element == String {
    assign(keys).first { $0.prefix == prefix }
  }

  /// Separators between PREFIX and N, longest first so that the reading with
  /// the shortest prefix comes first.
  private static let separators: [[UInt8]] = [
    "/layer_", ".layer_", "_layer_", "/layer", "/", ".", "_",
  ].map { Array($0.utf8) }

  /// All (prefix, layer) readings of a key, shortest prefix first.
  static func readings(of key: String) -> [(prefix: String, layer: Int)] {
    let bytes = Array(key.utf8)
    var end = bytes.count
    while end > 0, bytes[end - 1] >= 0x30, bytes[end - 1] <= 0x39 { end -= 1 }
    let digits = bytes[end...]
    guard !digits.isEmpty, digits.count <= 18,
      let layer = Int(String(decoding: digits, as: UTF8.self))
    else { return [] }
    var out: [(prefix: String, layer: Int)] = []
    for sep in separators where end > sep.count {
      if bytes[(end - sep.count)..<end].elementsEqual(sep) {
        let prefix = String(decoding: bytes[..<(end - sep.count)], as: UTF8.self)
        if !out.contains(where: { $0.prefix == prefix }) {
          out.append((prefix, layer))
        }
      }
    }
    return out
  }

  /// Assigns every key to at most one family; returns all families (any
  /// number of layers), sorted by prefix.
  static func assign<S: Sequence>(_ keys: S) -> [MetricFamily]
  where S.Element == String {
    let unique = Set(keys).sorted()
    var options: [String: [(prefix: String, layer: Int)]] = [:]
    var choice: [String: Int] = [:]
    for key in unique {
      let r = readings(of: key)
      if !r.isEmpty {
        options[key] = r
        choice[key] = 0
      }
    }
    // Move colliding keys that have a longer reading onto it, until stable.
    // Each pass only moves keys forward, so this ends.
    var changed = true
    while changed {
      changed = false
      var claims: [String: [Int: [String]]] = [:]
      for key in unique {
        guard let i = choice[key], let r = options[key]?[i] else { continue }
        claims[r.prefix, default: [:]][r.layer, default: []].append(key)
      }
      for (_, byLayer) in claims {
        for (_, claimants) in byLayer where claimants.count > 1 {
          for key in claimants {
            let i = choice[key]!, n = options[key]!.count
            if i + 1 < n {
              choice[key] = n - 1  // the longest other prefix
              changed = true
            }
          }
        }
      }
    }
    var families: [String: [Int: String]] = [:]
    for key in unique {  // sorted, so the first key wins a remaining tie
      guard let i = choice[key], let r = options[key]?[i] else { continue }
      if families[r.prefix]?[r.layer] == nil {
        families[r.prefix, default: [:]][r.layer] = key
      }
    }
    return families.keys.sorted().map { prefix in
      MetricFamily(
        prefix: prefix,
        members: families[prefix]!.map { .init(layer: $0.key, key: $0.value) })
    }
  }
}

/// Values of one family laid out as a layer x step grid.
public struct LayerStepMatrix: Sendable, Equatable {
  public var family: String
  public var layers: [Int]
  public var steps: [Int64]
  /// Row-major `[layer][step]`; NaN where a layer has no value at a step.
  public var values: [Double]

  public init(family: String, layers: [Int], steps: [Int64], values: [Double]) {
    precondition(values.count == layers.count * steps.count)
    self.family = family
    self.layers = layers
    self.steps = steps
    self.values = values
  }

  /// The value at layer index `li` and step index `si` (indices into
  /// `layers` and `steps`, not layer numbers or step numbers).
  public subscript(layer li: Int, step si: Int) -> Double {
    get { values[li * steps.count + si] }
    set { values[li * steps.count + si] = newValue }
  }
}

extension MetricsBuffer {
  /// The family's values by layer and step. `steps` is the sorted union of the steps of rows
  /// that have any member key; when the buffer holds the same step twice, the later row's
  /// value wins. A layer with several keys combines the values a row has with `reduce`.
  public func layerStepMatrix(for family: MetricFamily, reduce: LayerReduce = .l2) -> LayerStepMatrix {
    let members = family.members
    var stepSet = Set<Int64>()
    for row in storedRows where members.contains(where: { $0.keys.contains { row.values[$0] != nil } }) {
      stepSet.insert(row.step)
    }
    let steps = stepSet.sorted()
    var column: [Int64: Int] = [:]
    for (i, s) in steps.enumerated() { column[s] = i }
    var m = LayerStepMatrix(
      family: family.prefix, layers: members.map(\.layer), steps: steps,
      values: Array(repeating: .nan, count: members.count * steps.count))
    for row in storedRows {
      guard let si = column[row.step] else { continue }
      for (li, member) in members.enumerated() {
        if let v = member.value(in: row.values, reduce: reduce) { m[layer: li, step: si] = v }
      }
    }
    return m
  }
}

extension MetricsTable {
  /// The family's values by layer and step, read from the columns. `steps` is the sorted
  /// union of the steps of rows that have any member key; when the table holds the same
  /// step twice, the later row's value wins. A layer with several keys combines the values a
  /// row has with `reduce` (`MetricsBuffer.layerStepMatrix` over rows gives the same).
  public func layerStepMatrix(for family: MetricFamily, reduce: LayerReduce = .l2) -> LayerStepMatrix {
    let members = family.members
    let memberColumns: [[[Double]]] = members.map { m in m.keys.compactMap { column($0) } }
    let n = rowCount
    var has = [Bool](repeating: false, count: n)
    for cols in memberColumns {
      for c in cols {
        for i in 0..<n where !has[i] && !MetricsTable.isMissing(c[i]) { has[i] = true }
      }
    }
    // Steps in increasing order (the common case) map to consecutive positions: no hashing.
    var rowPosition = [Int](repeating: -1, count: n)
    var sortedSteps: [Int64] = []
    var increasing = true
    for i in 0..<n where has[i] {
      if let p = sortedSteps.last, steps[i] <= p {
        increasing = false
        break
      }
      rowPosition[i] = sortedSteps.count
      sortedSteps.append(steps[i])
    }
    if !increasing {
      var stepSet = Set<Int64>()
      for i in 0..<n where has[i] { stepSet.insert(steps[i]) }
      sortedSteps = stepSet.sorted()
      var position: [Int64: Int] = [:]
      position.reserveCapacity(sortedSteps.count)
      for (i, s) in sortedSteps.enumerated() { position[s] = i }
      for i in 0..<n where has[i] { rowPosition[i] = position[steps[i]]! }
    }
    var m = LayerStepMatrix(
      family: family.prefix, layers: members.map(\.layer), steps: sortedSteps,
      values: Array(repeating: .nan, count: members.count * sortedSteps.count))
    var present: [Double] = []
    for (li, cols) in memberColumns.enumerated() {
      if members[li].keys.count == 1, cols.count == 1 {
        let c = cols[0]
        for i in 0..<n where rowPosition[i] >= 0 && !MetricsTable.isMissing(c[i]) {
          m[layer: li, step: rowPosition[i]] = c[i]
        }
        continue
      }
      for i in 0..<n where rowPosition[i] >= 0 {
        present.removeAll(keepingCapacity: true)
        for c in cols where !MetricsTable.isMissing(c[i]) { present.append(c[i]) }
        if !present.isEmpty { m[layer: li, step: rowPosition[i]] = reduce.combine(present) }
      }
    }
    return m
  }
}
