import Foundation
import Testing
import TrainscapeTestSupport

@testable import TrainscapeCore

/// Category and date axes (imported Plotly figures): dates parse as Python's datetime reads
/// them (UTC), ticks fall on round dates labelled for their spacing, categories label their
/// integer positions.
@Suite(.tiered) struct AxisLabelsTests {
  static let dates = [
    "2024-03-05", "2024-03-05 14:30", "2024-03-05T14:30:15.250Z", "1999-12-31 23:59:59", "2024-02-29", "1970-01-01",
    "2017-02-10T00:00:00", "2038-01-19 03:14:07.5",
  ]

  @Test(.tags(.python)) func datesParseAsPythonReadsThem() throws {
    let out = try Python.run(#"""
      import sys
      from datetime import datetime, timezone
      for s in sys.argv[1:]:
          t = s.replace("Z", "")
          d = datetime.fromisoformat(t).replace(tzinfo=timezone.utc)
          print(repr(d.timestamp() * 1000))
      """#, args: Self.dates)
    let want = out.split(separator: "\n").map { Double($0)! }
    #expect(want.count == Self.dates.count)
    for (s, w) in zip(Self.dates, want) {
      let got = try #require(AxisLabels.parseDate(s), "\(s)")
      #expect(abs(got - w) < 1e-3, "\(s): \(got) vs \(w)")
    }
    for bad in ["2024-02-30", "2024-13-01", "2024-01-01 25:00", "March 5", "", "2024-01-01 12:61"] {
      #expect(AxisLabels.parseDate(bad) == nil, "\(bad)")
    }
  }

  @Test func dateTicksAreRoundAndLabelledForTheirSpacing() throws {
    let jan = try #require(AxisLabels.parseDate("2024-01-01")), may = try #require(AxisLabels.parseDate("2024-05-01"))
    let months = AxisLabels.dates.ticks(lo: jan, hi: may, target: 5)
    #expect(months.map(\.label) == ["Jan 2024", "Feb 2024", "Mar 2024", "Apr 2024", "May 2024"], "\(months)")
    let years = AxisLabels.dates.ticks(lo: jan, hi: try #require(AxisLabels.parseDate("2034-06-01")), target: 6)
    #expect(years.map(\.label) == ["2024", "2026", "2028", "2030", "2032", "2034"], "\(years.map(\.label))")
    let hours = AxisLabels.dates.ticks(lo: jan, hi: jan + 6 * 3_600_000, target: 4)
    #expect(hours.map(\.label) == ["Jan 1 00:00", "Jan 1 02:00", "Jan 1 04:00", "Jan 1 06:00"], "\(hours.map(\.label))")
    #expect(AxisLabels.dates.text(jan + 1500) == "2024-01-01 00:00:01")
  }

  @Test func categoriesLabelTheirPositions() {
    let c = AxisLabels.categories(["embed", "h.0", "h.1", "head"])
    #expect(c.ticks(lo: -0.4, hi: 3.2, target: 10).map(\.label) == ["embed", "h.0", "h.1", "head"])
    #expect(c.text(2) == "h.1" && c.text(2.5) == "2.5" && c.text(7) == "7")
    var axis = AxisSpec(title: "layer", range: 0...3)
    axis.labels = c
    #expect(axis.ticks(target: 2).count <= 3)
    #expect(axis.text(3) == "head")
  }
}
