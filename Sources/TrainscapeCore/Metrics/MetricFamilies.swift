/// Metrics logged once per layer, such as `grad_norm/layer_0`,
/// `grad_norm/layer_1`, ...: one prefix and a numbered member per layer.
public struct MetricFamily: Sendable, Equatable {
  /// One member key of a family and the layer it belongs to.
  public struct Member: Sendable, Equatable {
    public var layer: Int
    public var key: String

    public init(layer: Int, key: String) {
      self.layer = layer
      self.key = key
    }
  }

  public var prefix: String
  /// Sorted numerically by layer (`layer_10` after `layer_9`).
  public var members: [Member]

  public init(prefix: String, members: [Member]) {
    self.prefix = prefix
    self.members = members.sorted { $0.layer < $1.layer }
  }

  /// The layer numbers, ascending.
  public var layers: [Int] { members.map(\.layer) }
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
  /// The family's values by layer and step. `steps` is the sorted union of
  /// the steps of rows that have any member key; when the buffer holds the
  /// same step twice, the later row's value wins.
  public func layerStepMatrix(for family: MetricFamily) -> LayerStepMatrix {
    let members = family.members
    var stepSet = Set<Int64>()
    for row in storedRows where members.contains(where: { row.values[$0.key] != nil }) {
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
        if let v = row.values[member.key] { m[layer: li, step: si] = v }
      }
    }
    return m
  }
}
