import Foundation
import Testing
import TrainscapeCore
import TrainscapeIO
import TrainscapeTestSupport

/// plotly.js's own 3D image-test mocks (Tests/Fixtures/plotly-gl3d, plotly.js's MIT licence
/// beside them) rendered by `render figure` at each baseline's size and compared with the
/// baseline plotly.js drew, as docs/plotly-mocks.md lists them: each mock's result (close,
/// drawn with notes, refused) and its tolerances are read from that table, so the table is what
/// the test checks.
/// - close: drawn with the baseline's data, colours and ranges; camera and fonts may differ.
///   The comparison (`BaselineComparison`) is within the row's tolerances, and within fixed
///   bounds of what "close" means (a box overlap of at least 0.4 and a palette distance of at
///   most 0.4 allowed).
/// - drawn with notes: within the row's tolerances, and stderr names what is drawn differently.
/// - refused: a non-zero exit whose message contains the row's quoted text.
/// Each rendering and its measures go to test-artifacts/plotly-mocks/.
@Suite(.tiered, .tags(.egl, .slow)) struct PlotlyMockConformanceTests {
  struct Row: Sendable {
    var mock: String
    var result: String
    var minOverlap: Double?
    var maxPalette: Double?
    var maxRegions: Double?
    var differs: String
  }

  static let table = TestPaths.packageRoot.appendingPathComponent("docs/plotly-mocks.md")

  /// The table's rows by mock: `| mock | result | overlap m / min | palette m / max | regions m / max | what differs |`.
  static let rows: [String: Row] = {
    guard let text = try? String(contentsOf: table, encoding: .utf8) else { return [:] }
    var out: [String: Row] = [:]
    for line in text.split(separator: "\n") where line.hasPrefix("| gl3d_") {
      let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
      guard cells.count >= 7 else { continue }
      func limit(_ cell: String) -> Double? {
        guard let slash = cell.firstIndex(of: "/") else { return nil }
        return Double(cell[cell.index(after: slash)...].trimmingCharacters(in: .whitespaces))
      }
      out[cells[1]] = Row(
        mock: cells[1], result: cells[2], minOverlap: limit(cells[3]), maxPalette: limit(cells[4]),
        maxRegions: limit(cells[5]), differs: cells[6])
    }
    return out
  }()

  @Test func everyMockHasARowAndEveryRowAMock() {
    let mocks = Set(PlotlyMocks.names)
    #expect(mocks.count >= 50, "the fixtures hold \(mocks.count) mocks")
    #expect(Set(Self.rows.keys) == mocks, "rows without mocks: \(Set(Self.rows.keys).subtracting(mocks).sorted()); mocks without rows: \(mocks.subtracting(Self.rows.keys).sorted())")
    for row in Self.rows.values {
      #expect(["close", "drawn with notes", "refused"].contains(row.result), "\(row.mock): result '\(row.result)'")
    }
  }

  @Test(arguments: PlotlyMocks.names) func mockAgainstItsBaseline(_ name: String) throws {
    let dir = try CLI.tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let artifacts = TestPaths.artifacts.appendingPathComponent("plotly-mocks")
    try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
    let figure = try PlotlyMocks.mock(name, into: dir)
    let baseline = try PNGCodec.read(path: PlotlyMocks.baseline(name).path)
    let out = artifacts.appendingPathComponent("\(name).png")
    let r = try CLI.run(["render", "figure", figure.path, "--size", "\(baseline.width)x\(baseline.height)", "-o", out.path, "--force"])
    var measured = "| \(name) | exit \(r.status) |"
    defer {
      try? (measured + "\n" + r.stderr).write(to: artifacts.appendingPathComponent("\(name).txt"), atomically: true, encoding: .utf8)
    }
    var comparison: BaselineComparison?
    if r.status == 0 {
      let c = try BaselineComparison(try PNGCodec.read(path: out.path), baseline)
      comparison = c
      measured = String(format: "| %@ | drawn | %.2f | %.2f | %.1f |", name, c.boxOverlap, c.palette, c.regions)
    }
    let row = try #require(Self.rows[name], "no row for \(name) in docs/plotly-mocks.md")
    if row.result == "refused" {
      #expect(r.status != 0, "\(name) is listed as refused but was drawn")
      let quoted = row.differs.split(separator: "`", omittingEmptySubsequences: false)
      let reason = try #require(quoted.count >= 3 ? String(quoted[1]) : nil, "\(name): the row quotes no refusal text in backticks")
      #expect(r.stderr.contains(reason), "\(name): refusal '\(r.stderr)' does not say '\(reason)'")
      return
    }
    let c = try #require(comparison, "\(name): \(r.stderr)")
    let minOverlap = try #require(row.minOverlap, "\(name): no box-overlap limit"), maxPalette = try #require(row.maxPalette, "\(name): no palette limit")
    let maxRegions = try #require(row.maxRegions, "\(name): no regions limit")
    #expect(c.boxOverlap >= minOverlap, "\(name): \(c)")
    #expect(c.palette <= maxPalette, "\(name): \(c)")
    #expect(c.regions <= maxRegions, "\(name): \(c)")
    if row.result == "close" {
      #expect(minOverlap >= 0.4 && maxPalette <= 0.4, "\(name): a 'close' row may allow a box overlap down to 0.4 and a palette distance up to 0.4")
    } else {
      #expect(r.stderr.contains("note:"), "\(name) is drawn differently from plotly.js but says nothing: \(r.stderr)")
    }
  }
}
