import Foundation

/// What a metric key means to a landscape: the loss, the learning rate, the total gradient
/// norm, the reward, the KL term (shown by `info` only).
public enum MetricRole: String, CaseIterable, Sendable {
  case loss
  case learningRate = "learning rate"
  case gradNorm = "gradient norm"
  case reward
  case kl = "KL"

  /// The command-line flag that names this role's key.
  public var flag: String {
    switch self {
    case .loss: return "--loss-key"
    case .learningRate: return "--lr-key"
    case .gradNorm: return "--grad-key"
    case .reward: return "--reward-key"
    case .kl: return "--kl-key"
    }
  }

  /// A short name for one-line summaries ("loss", "lr", "grad norm", ...).
  public var shortName: String {
    switch self {
    case .loss: return "loss"
    case .learningRate: return "lr"
    case .gradNorm: return "grad norm"
    case .reward: return "reward"
    case .kl: return "kl"
    }
  }
}

/// How often each key occurs in a run (rows holding it): what role resolution reads of a
/// run besides the names.
public struct KeyCounts: Sendable, Equatable {
  public var counts: [String: Int]
  public init(_ counts: [String: Int]) { self.counts = counts }

  public init(rows: some Sequence<MetricRow>) {
    var c: [String: Int] = [:]
    for row in rows { for k in row.values.keys { c[k, default: 0] += 1 } }
    counts = c
  }

  public var keys: [String] { counts.keys.sorted() }
  public func contains(_ key: String) -> Bool { counts[key] != nil }
  public subscript(_ key: String) -> Int { counts[key] ?? 0 }
}

/// An error in choosing a metric key: no candidate, a real ambiguity, or an explicit key the
/// run lacks. The message names the run, the candidates and the flag that chooses.
public struct RoleError: Error, CustomStringConvertible, Equatable {
  public var description: String
  public init(_ description: String) { self.description = description }
}

/// Resolves metric roles from the names people log. The naming rules (documented in
/// `docs/input-naming.md`):
///
/// - A key is split at `/` into a hierarchical prefix and a leaf (`training/learning_rate`,
///   `train/loss`, `optimizer/lr`, `metrics/reward`). Any prefix is allowed.
/// - A key is an evaluation key when a prefix segment is `eval`, `val`, `valid`,
///   `validation`, `test` or `evaluation`, or a segment starts with `eval_`, `val_`,
///   `valid_`, `validation_` or `test_` (`eval_loss`, `val/loss`). Train keys beat
///   evaluation keys; an evaluation key is used only when no train key fits.
/// - The leaf is normalised: lower-cased, a leading `train_`/`training_` and a trailing
///   `_step` (Lightning's `on_step` name) dropped. A trailing `_epoch` ranks lower.
/// - loss: `loss`, `total_loss`, `loss_total`, `loss/total`, `loss/sum` (and those with any
///   prefix: `train/loss`, `train_loss_step`, ...).
/// - learning rate: `lr`, `learning_rate`, `learningrate`, `learning-rate`, Lightning's
///   `lr-<Optimizer>` and `lr-<Optimizer>/pg<N>` (the first parameter group is the run's
///   learning rate), `lr/group_<N>`, `lr/pg<N>`; nanochat's `lrm` (the schedule's
///   multiplier) ranks below them.
/// - gradient norm: `grad_norm`, `gradient_norm`, `grad_norm_total`, `total_grad_norm`,
///   `global_grad_norm`, `grad_norm/total`, `grad_norm/global`, Lightning's
///   `grad_<p>_norm_total` (`grad_2.0_norm_total`, `grad_inf_norm_total`).
/// - reward: `reward`, `rewards`, `reward_mean`, `mean_reward`, `rewards/mean`,
///   `reward/mean`; then TRL's DPO `rewards/margins`, then `rewards/<func>/mean`,
///   `rewards/chosen`, `objective/rlhf_reward`, `objective/scores`.
/// - KL: `kl`, `objective/kl`, `approx_kl`, `kl_div`, `kl_divergence`.
///
/// Among the candidates of a role, keys present in fewer than half as many rows as the most
/// frequent candidate are dropped (the Hugging Face Trainer's one-row `train_loss` summary
/// beside the per-step `loss`); then the best rank wins. Several keys at the best rank are a
/// real ambiguity: an error that lists them and the flag that chooses. Parameter groups of one
/// optimizer (`lr-AdamW/pg1`, `lr-AdamW/pg2`) are not an ambiguity: the lowest group wins.
public enum MetricRoles {
  /// One key that could play a role.
  public struct Candidate: Sendable, Equatable {
    public var key: String
    /// Lower is better.
    public var rank: Int
    public var count: Int
    public var isEval: Bool
  }

  /// A resolved role: the key and how it was chosen.
  public struct Resolution: Sendable, Equatable {
    public var role: MetricRole
    public var key: String
    /// "given with --lr-key", "naming rules", "naming rules; no train key, so the eval key", ...
    public var how: String
    /// The other candidates that were not chosen (for notes).
    public var others: [String]
  }

  static let evalWords: Set<String> = ["eval", "val", "valid", "validation", "test", "evaluation", "evaluate"]
  static let evalPrefixes = ["eval_", "val_", "valid_", "validation_", "test_"]

  /// Whether `key` names an evaluation metric (see the type's comment).
  public static func isEval(_ key: String) -> Bool {
    let segments = key.lowercased().split(separator: "/", omittingEmptySubsequences: false)
    for (i, s) in segments.enumerated() {
      if i < segments.count - 1, evalWords.contains(String(s)) { return true }
      if evalPrefixes.contains(where: { s.hasPrefix($0) }) { return true }
    }
    return false
  }

  /// The leaf of a key, normalised: lower-cased, without a train/eval marker at its start
  /// and without Lightning's `_step` suffix; `epoch` is true for a `_epoch` suffix.
  static func normalizedLeaf(_ s: Substring) -> (leaf: String, epoch: Bool) {
    var leaf = s.lowercased()
    for p in ["training_", "train_"] + evalPrefixes where leaf.hasPrefix(p) && leaf.count > p.count {
      leaf.removeFirst(p.count)
      break
    }
    var epoch = false
    if leaf.hasSuffix("_step"), leaf.count > 5 {
      leaf.removeLast(5)
    } else if leaf.hasSuffix("_epoch"), leaf.count > 6 {
      leaf.removeLast(6)
      epoch = true
    }
    return (leaf, epoch)
  }

  /// The rank of `key` as a candidate for `role` (lower is better), or nil when it is not one.
  public static func rank(of key: String, for role: MetricRole) -> Int? {
    let segments = key.split(separator: "/", omittingEmptySubsequences: false)
    guard let last = segments.last, !last.isEmpty else { return nil }
    let (leaf, epoch) = normalizedLeaf(last)
    let parent = segments.count >= 2 ? normalizedLeaf(segments[segments.count - 2]).leaf : nil
    let lowered = segments.map { $0.lowercased() }
    let penalty = epoch ? 10 : 0
    switch role {
    case .loss:
      if ["loss", "total_loss", "loss_total"].contains(leaf) { return penalty }
      if parent == "loss", ["total", "sum"].contains(leaf) { return penalty }
      return nil
    case .learningRate:
      if ["lr", "learning_rate", "learningrate", "learning-rate"].contains(leaf) { return penalty }
      // Lightning's LearningRateMonitor: lr-AdamW, lr-Adam/pg1 (not lr-Adam-momentum).
      if let i = lowered.firstIndex(where: { $0.hasPrefix("lr-") }), !lowered[i].hasSuffix("-momentum"),
        !lowered[i].hasSuffix("-weight_decay")
      {
        if i == lowered.count - 1 { return penalty }
        if i == lowered.count - 2, parameterGroup(lowered[i + 1]) != nil { return penalty }
      }
      if ["lr", "learning_rate"].contains(parent ?? ""), parameterGroup(leaf) != nil { return penalty }
      if leaf == "lrm" { return 20 + penalty }
      return nil
    case .gradNorm:
      if ["grad_norm", "gradient_norm", "grad_norm_total", "total_grad_norm", "global_grad_norm",
        "grad_norm_global", "gradnorm", "total_norm", "grad_l2_norm"].contains(leaf)
      {
        return leaf == "total_norm" ? 5 + penalty : penalty
      }
      if ["grad_norm", "gradient_norm", "grad_norms", "gradient_norms"].contains(parent ?? ""),
        ["total", "global", "all"].contains(leaf)
      {
        return penalty
      }
      if leaf.hasPrefix("grad_"), leaf.hasSuffix("_norm_total") { return penalty }
      return nil
    case .reward:
      if ["reward", "rewards", "reward_mean", "mean_reward", "avg_reward", "reward_avg"].contains(leaf) {
        return penalty
      }
      if ["reward", "rewards"].contains(parent ?? ""), ["mean", "avg"].contains(leaf) { return penalty }
      if parent == "rewards", leaf == "margins" { return 1 + penalty }
      if lowered.count >= 3, lowered[lowered.count - 3] == "rewards", leaf == "mean" { return 2 + penalty }
      if parent == "rewards", leaf == "chosen" { return 3 + penalty }
      if ["rlhf_reward", "scores", "score"].contains(leaf), parent == "objective" { return 3 + penalty }
      return nil
    case .kl:
      if ["kl", "approx_kl", "kl_div", "kl_divergence", "mean_kl"].contains(leaf) { return penalty }
      return nil
    }
  }

  /// The group number of a parameter-group leaf: `pg1`, `group_0`, `group0`.
  static func parameterGroup(_ s: String) -> Int? {
    for p in ["pg", "group_", "group", "param_group_"] where s.hasPrefix(p) {
      if let n = Int(s.dropFirst(p.count)) { return n }
    }
    return nil
  }

  /// Every candidate key for `role` in `keys`.
  public static func candidates(for role: MetricRole, in keys: KeyCounts) -> [Candidate] {
    keys.keys.compactMap { k in
      rank(of: k, for: role).map { Candidate(key: k, rank: $0, count: keys[k], isEval: isEval(k)) }
    }
  }

  /// The key for `role`, or nil when the run has no candidate. Throws on a real ambiguity,
  /// and when `explicit` (a key the user named) is not in the run. `run` names the run in
  /// messages.
  public static func resolve(
    _ role: MetricRole, explicit: String? = nil, in keys: KeyCounts, run: String
  ) throws -> Resolution? {
    if let k = explicit {
      guard keys.contains(k) else {
        throw RoleError(
          "\(run): no metric '\(k)' (given with \(role.flag))\(suggestion(for: k, in: keys.keys)); keys found: \(listed(keys.keys))")
      }
      return Resolution(role: role, key: k, how: "given with \(role.flag)", others: [])
    }
    let all = candidates(for: role, in: keys)
    let train = all.filter { !$0.isEval }
    var pool = train.isEmpty ? all : train
    guard let most = pool.map(\.count).max() else { return nil }
    pool = pool.filter { 2 * $0.count >= most }
    let best = pool.map(\.rank).min()!
    var top = pool.filter { $0.rank == best }
    if top.count > 1 { top = collapsingParameterGroups(top) }
    let others = all.map(\.key).filter { k in !top.contains { $0.key == k } }
    guard top.count == 1 else {
      throw RoleError(
        "\(run): \(top.count) keys could be the \(role.rawValue): \(top.map { "\($0.key) (\($0.count) rows)" }.joined(separator: ", ")); choose one with \(role.flag) KEY")
    }
    var how = "naming rules"
    if train.isEmpty { how += "; no train key, so the evaluation key" }
    return Resolution(role: role, key: top[0].key, how: how, others: others)
  }

  /// The key for `role`; throws when the run has none (saying what was looked for).
  public static func require(
    _ role: MetricRole, explicit: String? = nil, in keys: KeyCounts, run: String
  ) throws -> Resolution {
    if let r = try resolve(role, explicit: explicit, in: keys, run: run) { return r }
    throw RoleError(
      "\(run): no \(role.rawValue.replacingOccurrences(of: " ", with: "-")) metric (looked for \(examples(role)) under any prefix; see docs/input-naming.md); name one with \(role.flag) KEY. Keys found: \(listed(keys.keys))")
  }

  /// Learning-rate parameter groups of one optimizer collapse to the lowest group.
  static func collapsingParameterGroups(_ c: [Candidate]) -> [Candidate] {
    var byBase: [String: (Int, Candidate)] = [:]
    var rest: [Candidate] = []
    for cand in c {
      let segs = cand.key.split(separator: "/")
      if let last = segs.last, let g = parameterGroup(last.lowercased()), segs.count >= 2 {
        let base = segs.dropLast().joined(separator: "/")
        if let (have, _) = byBase[base], have <= g { continue }
        byBase[base] = (g, cand)
      } else {
        rest.append(cand)
      }
    }
    return rest + byBase.values.map(\.1).sorted { $0.key < $1.key }
  }

  static func examples(_ role: MetricRole) -> String {
    switch role {
    case .loss: return "loss, total_loss, loss/total, train_loss_step"
    case .learningRate: return "lr, learning_rate, lr-AdamW, lr-Adam/pg1, lrm"
    case .gradNorm: return "grad_norm, grad_norm/total, total_grad_norm, grad_2.0_norm_total"
    case .reward: return "reward, rewards/mean, reward_mean, rewards/margins"
    case .kl: return "kl, approx_kl"
    }
  }

  /// Up to 30 keys, comma-separated ("none" when empty).
  public static func listed(_ keys: [String]) -> String {
    if keys.isEmpty { return "none" }
    let shown = keys.prefix(30).joined(separator: ", ")
    return keys.count > 30 ? shown + ", ... (\(keys.count) in all)" : shown
  }

  /// "; did you mean 'X'?" for the closest key (edit distance at most a third of the name).
  public static func suggestion(for name: String, in keys: [String]) -> String {
    guard let best = closest(to: name, in: keys) else { return "" }
    return "; did you mean '\(best)'?"
  }

  /// The candidate closest to `name` by edit distance, when it is close enough to be a typo.
  public static func closest(to name: String, in candidates: [String]) -> String? {
    let a = Array(name.lowercased().utf8)
    var best: (String, Int)?
    for c in candidates {
      let d = editDistance(a, Array(c.lowercased().utf8))
      if best == nil || d < best!.1 { best = (c, d) }
    }
    guard let (key, d) = best, d <= Swift.max(2, a.count / 3) else { return nil }
    return key
  }

  static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count)
    var cur = prev
    for i in 1...a.count {
      cur[0] = i
      for j in 1...b.count {
        cur[j] = Swift.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      }
      swap(&prev, &cur)
    }
    return prev[b.count]
  }
}
