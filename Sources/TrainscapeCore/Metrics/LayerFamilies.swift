import Foundation

// Layers from parameter names (`grad_norm/model.layers.3.mlp.weight`); the numbered-key forms are in MetricFamilies.swift.

/// Where a parameter-path key keeps its layer: `grad_norm/model.layers.3.mlp.down_proj.weight`
/// is the metric prefix `grad_norm`, the container `model.layers`, layer 3 and the parameter
/// `mlp.down_proj.weight`.
public struct ParameterPath: Sendable, Equatable {
  /// The key up to the last `/` before the layers ("" when none).
  public var metricPrefix: String
  /// The path of the layer list inside the model (`model.layers`, `transformer.h`).
  public var container: String
  public var layer: Int
  /// The parameter inside the layer ("" for `PREFIX/layer_N`).
  public var parameter: String
  /// The family name when there is no metric prefix: the container for `transformer.h.3.x`,
  /// the text before the layer word for `enc.layer_3`.
  var bareName: String
}

/// Finds per-layer families among metric keys from parameter names, the way training loops
/// log them over `model.named_parameters()`:
///
/// - The layer index is found inside dotted or slashed paths under any prefix: a container
///   word followed by the index (`layers.N.`, `layer.N.`, `h.N.`, `blocks.N.`, `block.N.`,
///   `resblocks.N.`, so `encoder.layer.N.`, `model.layers.N.`, `transformer.h.N.` too), or one
///   word with the index (`layer_N`, `layerN`, `block_N`, `blocks_N`, `layers_N`).
/// - The family is the key up to the last `/` before the layers (`grad_norm`,
///   `grad_2.0_norm`, `gradients`); families under one prefix with different containers
///   (encoder and decoder) are told apart as `PREFIX[container]`.
/// - Keys that do not have that form fall back to `MetricFamilies`' forms (`PREFIX.N`,
///   `PREFIX_N`, `PREFIX/N`, ...), with one key per layer.
/// - Other keys under a parameter family's prefix that look like parameters (a dotted name,
///   or one ending in weight, bias, kernel, scale, embedding) and are not a role's key (the
///   total norm) are the family's extras: before the layers when they are embeddings
///   (embed, wte, wpe, token, position, patch, stem, input), after them otherwise.
public enum LayerFamilies {
  static let containerWords: Set<String> = ["layers", "layer", "h", "blocks", "block", "resblocks"]
  static let joinedWords = ["layers_", "layer_", "blocks_", "block_", "layer", "block"]

  /// The parameter path of `key`, or nil when it has no layer container.
  public static func parameterPath(_ key: String) -> ParameterPath? {
    let b = Array(key.utf8)
    var tokens: [Range<Int>] = []
    var start = 0
    for (i, c) in b.enumerated() where c == UInt8(ascii: ".") || c == UInt8(ascii: "/") {
      tokens.append(start..<i)
      start = i + 1
    }
    tokens.append(start..<b.count)
    func text(_ r: Range<Int>) -> String { String(decoding: b[r], as: UTF8.self) }
    func number(_ s: Substring) -> Int? {
      guard !s.isEmpty, s.count <= 9, s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
      return Int(s)
    }
    for (i, t) in tokens.enumerated() {
      let word = text(t).lowercased()
      var layer: Int?
      var end = t.upperBound
      var joined = false
      if containerWords.contains(word), i + 1 < tokens.count, let n = number(Substring(text(tokens[i + 1]))) {
        layer = n
        end = tokens[i + 1].upperBound
      } else {
        for p in joinedWords where word.hasPrefix(p) {
          if let n = number(word.dropFirst(p.count)) {
            layer = n
            joined = true
            break
          }
        }
      }
      guard let layer else { continue }
      let head = String(decoding: b[0..<t.lowerBound], as: UTF8.self)
      var metricPrefix = "", local = head
      if let slash = head.lastIndex(of: "/") {
        metricPrefix = String(head[..<slash])
        local = String(head[head.index(after: slash)...])
      }
      let wordText = joined ? String(text(t).prefix(while: { !$0.isNumber })).trimmingCharacters(in: CharacterSet(charactersIn: "_")) : text(t)
      let container = local + wordText
      var bare = container
      if joined {
        bare = local.hasSuffix(".") ? String(local.dropLast()) : local
        if bare.isEmpty { bare = container }
      }
      let parameter = end < b.count ? String(decoding: b[(end + 1)...], as: UTF8.self) : ""
      return ParameterPath(metricPrefix: metricPrefix, container: container, layer: layer, parameter: parameter, bareName: bare)
    }
    return nil
  }

  static let beforeWords = ["embed", "wte", "wpe", "tok_", "token", "pos_emb", "position", "patch", "stem", "input", "cls_token"]
  static let parameterEnds: Set<String> = ["weight", "bias", "kernel", "scale", "embedding", "embeddings", "gamma", "beta"]

  struct Group {
    var prefix: String
    var container: String
    var bare: String
    var layers: [Int: [String]] = [:]
  }

  /// Every family (any number of layers), sorted by name.
  public static func all<S: Sequence>(in keySequence: S) -> [MetricFamily] where S.Element == String {
    let keys = Set(keySequence).sorted()
    var groups: [String: Group] = [:]
    var rest: [String] = []
    for k in keys {
      guard let p = parameterPath(k) else {
        rest.append(k)
        continue
      }
      let id = p.metricPrefix + "\u{0}" + p.container
      groups[id, default: Group(prefix: p.metricPrefix, container: p.container, bare: p.bareName)].layers[p.layer, default: []].append(k)
    }
    // Names: the metric prefix, unless several containers share it.
    var perPrefix: [String: Int] = [:]
    for g in groups.values where !g.prefix.isEmpty { perPrefix[g.prefix, default: 0] += 1 }
    let gs = groups.values.sorted { ($0.prefix, $0.container) < ($1.prefix, $1.container) }
    var families: [MetricFamily] = gs.map { g in
      let name = g.prefix.isEmpty ? g.bare : (perPrefix[g.prefix]! > 1 ? "\(g.prefix)[\(g.container)]" : g.prefix)
      return MetricFamily(
        prefix: name, members: g.layers.map { .init(layer: $0.key, keys: $0.value) }, container: g.container)
    }
    let legacy = MetricFamilies.assign(rest)
    let inLegacy = Set(legacy.filter { $0.members.count >= 2 }.flatMap(\.allKeys))
    // Extras: parameter-like keys under a parameter family's metric prefix (the family with
    // the most layers when several share it).
    var byPrefix: [String: Int] = [:]
    for (i, g) in gs.enumerated() where !g.prefix.isEmpty {
      if let j = byPrefix[g.prefix], families[j].members.count >= families[i].members.count { continue }
      byPrefix[g.prefix] = i
    }
    for k in rest where !inLegacy.contains(k) {
      guard let slash = k.lastIndex(of: "/") else { continue }
      let prefix = String(k[..<slash]), name = String(k[k.index(after: slash)...])
      guard let i = byPrefix[prefix], looksLikeParameter(name),
        MetricRole.allCases.allSatisfy({ MetricRoles.rank(of: k, for: $0) == nil })
      else { continue }
      let lower = name.lowercased()
      families[i].extras.append(.init(name: name, key: k, before: beforeWords.contains { lower.contains($0) }))
    }
    families += legacy
    return families.sorted { $0.prefix < $1.prefix }
  }

  static func looksLikeParameter(_ name: String) -> Bool {
    if name.contains(".") { return true }
    let last = name.split(whereSeparator: { $0 == "_" || $0 == "/" }).last.map { $0.lowercased() } ?? ""
    return parameterEnds.contains(last)
  }

  /// Families with at least two layers, sorted by name.
  public static func detect<S: Sequence>(in keys: S) -> [MetricFamily] where S.Element == String {
    all(in: keys).filter { $0.members.count >= 2 }
  }

  /// The family named `name` (one layer is enough): its name, or the metric prefix of a
  /// parameter family when only one family has it.
  public static func family<S: Sequence>(named name: String, in keys: S) -> MetricFamily? where S.Element == String {
    let fams = all(in: keys)
    if let f = fams.first(where: { $0.prefix == name }) { return f }
    let byPrefix = fams.filter { $0.prefix.hasPrefix(name + "[") }
    return byPrefix.count == 1 ? byPrefix[0] : nil
  }

  /// A family from `--family-pattern`: keys whose first match of `regex` has a first capture
  /// group that is a non-negative integer, that integer being the layer. Throws when the
  /// pattern does not compile or has no capture group.
  public static func family<S: Sequence>(pattern: String, in keys: S) throws -> MetricFamily where S.Element == String {
    let re: NSRegularExpression
    do {
      re = try NSRegularExpression(pattern: pattern)
    } catch {
      throw RoleError("--family-pattern '\(pattern)' is not a valid regular expression")
    }
    guard re.numberOfCaptureGroups >= 1 else {
      throw RoleError("--family-pattern '\(pattern)' needs one capture group for the layer, e.g. 'grad/blk(\\d+)/'")
    }
    var layers: [Int: [String]] = [:]
    for k in Set(keys) {
      guard let m = re.firstMatch(in: k, range: NSRange(k.startIndex..., in: k)),
        let r = Range(m.range(at: 1), in: k), let n = Int(k[r]), n >= 0
      else { continue }
      layers[n, default: []].append(k)
    }
    return MetricFamily(prefix: pattern, members: layers.map { .init(layer: $0.key, keys: $0.value) })
  }
}
