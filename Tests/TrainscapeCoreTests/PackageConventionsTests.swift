import Foundation
import Testing
import TrainscapeTestSupport

/// What keeps the package readable: the dependency diagram at the top of `Package.swift` lists
/// every edge the targets below it declare (a reader can trust it without reading the targets),
/// and no hand-written source file grows past about 500 lines.
@Suite(.tiered) struct PackageConventionsTests {
  static func manifest() throws -> String {
    try String(contentsOfFile: TestPaths.packageRoot.appendingPathComponent("Package.swift").path, encoding: .utf8)
  }

  /// Each product and library target: name -> what it depends on (targets by name, products by
  /// their package), read from the `.target` / `.executableTarget` declarations.
  static func declaredEdges(_ manifest: String) -> [String: Set<String>] {
    var edges: [String: Set<String>] = [:]
    let declaration = #/\.(?:target|executableTarget)\(\s*name:\s*"([^"]+)"/#
    for match in manifest.matches(of: declaration) {
      let name = String(match.output.1)
      // The declaration runs to the next one; its dependencies are the bracket after the label.
      let rest = manifest[match.range.upperBound...]
      let end = rest.firstMatch(of: #/\.(?:target|executableTarget|testTarget|systemLibrary)\(/#)?.range.lowerBound
        ?? rest.endIndex
      let body = rest[..<end]
      guard let open = body.range(of: "dependencies: [") else {
        edges[name] = []
        continue
      }
      var depth = 1, i = open.upperBound
      while i < body.endIndex, depth > 0 {
        if body[i] == "[" { depth += 1 } else if body[i] == "]" { depth -= 1 }
        i = body.index(after: i)
      }
      let list = body[open.upperBound..<i]
      var deps = Set<String>()
      for product in list.matches(of: #/\.product\(\s*name:\s*"[^"]+",\s*package:\s*"([^"]+)"\)/#) {
        deps.insert(String(product.output.1))
      }
      let withoutProducts = list.replacing(#/\.product\([^)]*\)/#, with: "")
      for target in withoutProducts.matches(of: #/"([^"]+)"/#) { deps.insert(String(target.output.1)) }
      edges[name] = deps
    }
    return edges
  }

  /// The diagram's lines (`//   NAME ... -> A, B (+ C, D)`, perhaps continued on a line that
  /// starts with `(+`): name -> the names on the line.
  static func diagram(_ manifest: String) -> [String: Set<String>] {
    var lines: [String: Set<String>] = [:]
    var last: String?
    for line in manifest.split(separator: "\n").prefix(while: { !$0.hasPrefix("import") }) {
      let words = { (s: Substring) in Set(s.split { ", ()+:".contains($0) }.map(String.init)) }
      let text = line.replacing("//", with: "").drop { $0 == " " }
      if text.hasPrefix("(+"), let name = last {
        lines[name, default: []].formUnion(words(text))
        continue
      }
      last = nil
      guard let arrow = line.range(of: "->"), let name = line[..<arrow.lowerBound].replacing("//", with: "")
        .split(separator: " ").first
      else { continue }
      last = String(name)
      lines[String(name)] = words(line[arrow.upperBound...])
    }
    return lines
  }

  @Test func diagramListsEveryEdge() throws {
    let manifest = try Self.manifest()
    let declared = Self.declaredEdges(manifest)
    let drawn = Self.diagram(manifest)
    // The parser found the targets (a change of style would otherwise pass this test quietly).
    #expect(declared["TrainscapeViewer"]?.contains("TrainscapeIO") == true, "\(declared)")
    #expect(declared.count >= 10, "\(declared.keys.sorted())")
    // Benchmarks and the test support target are named in a sentence below the diagram.
    for (target, deps) in declared where !deps.isEmpty && target != "TrainscapeBenchmarks" && target != "TrainscapeTestSupport" {
      guard let line = drawn[target] else {
        Issue.record("Package.swift's diagram has no line for \(target) (it depends on \(deps.sorted()))")
        continue
      }
      let missing = deps.subtracting(line)
      #expect(missing.isEmpty, "Package.swift's diagram: \(target) -> \(missing.sorted()) is declared but not drawn")
    }
    for (target, names) in drawn {
      let extra = names.intersection(declared.keys).subtracting(declared[target] ?? [])
      #expect(extra.isEmpty, "Package.swift's diagram: \(target) -> \(extra.sorted()) is drawn but not declared")
    }
  }

  /// The rule: no hand-written source file is over about 500 lines; a longer one is split by
  /// job (tables and generated code excepted: a file under a `Generated` or `Proto` folder, or
  /// one whose first lines say it is generated). The test allows a little slack over 500.
  static let maximumLines = 520

  static func isHandWrittenSource(_ path: String) -> Bool {
    let source = path.hasSuffix(".swift") || path.hasSuffix(".c") || path.hasSuffix(".h")
    let folders = path.split(separator: "/").dropLast()
    return source && !folders.contains("Generated") && !folders.contains("Proto")
  }

  @Test func noHandWrittenSourceFileIsLong() throws {
    let root = TestPaths.packageRoot
    var checked = 0
    for folder in ["Sources", "Benchmarks"] {
      let base = root.appendingPathComponent(folder)
      let all = try #require(FileManager.default.enumerator(atPath: base.path)).compactMap { $0 as? String }
      for file in all where Self.isHandWrittenSource(file) {
        let text = try String(contentsOfFile: base.appendingPathComponent(file).path, encoding: .utf8)
        let head = text.prefix(300).lowercased()
        if head.contains("generated by") || head.contains("do not edit") { continue }
        checked += 1
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count - 1
        #expect(lines <= Self.maximumLines, "\(folder)/\(file) has \(lines) lines, over the \(Self.maximumLines)-line limit (rule: no hand-written source file over about 500 lines): split it by job into files named for what they hold")
      }
    }
    #expect(checked > 100)
  }
}
