import Foundation
import Testing
import TrainscapeTestSupport

@testable import TrainscapeIO

/// libhdf5 crashes (SIGSEGV) and allocates gigabytes on some damaged files that the fuzz
/// harness found in a few seconds (Fuzz/regressions/hdf5-grid). Trainscape reads HDF5 in a
/// child process, so such a file is an error naming it, and the process carries on.
@Suite(.tiered) struct HDF5IsolationTests {
  static func regression(_ name: String) -> String {
    TestPaths.packageRoot.appendingPathComponent("Fuzz/regressions/hdf5-grid/\(name)").path
  }

  /// Before the child reader, this file took the whole process down with SIGSEGV inside
  /// libhdf5 (listing the root group).
  @Test func aFileThatCrashesLibHDF5IsAnErrorOnTheFile() throws {
    let path = Self.regression("libhdf5-segv-listing")
    for read in [
      { _ = try GridReader.readLossLandscapeH5(path: path) },
      { _ = try GridReader.describeH5(path: path) },
      { _ = try GridReader.datasets(inH5: path) },
    ] as [() throws -> Void] {
      let e = try #require(arrayError(read))
      #expect(e.file == path)
      #expect(e.message.contains("HDF5 crashed reading the file"), "\(e.message)")
      #expect(e.message.contains("Segmentation fault"), "\(e.message)")
    }
    // The process is intact: a good file still reads.
    let good = TestPaths.packageRoot.appendingPathComponent("Fuzz/corpus/hdf5-grid").path
    let seed = try #require(try FileManager.default.contentsOfDirectory(atPath: good).sorted().first)
    let grid = try GridReader.readLossLandscapeH5(path: good + "/" + seed)
    #expect(grid.values.count == grid.x.count * grid.y.count && !grid.values.isEmpty)
  }

  /// A few hundred bytes that made libhdf5 ask for gigabytes: an error, in bounded memory.
  @Test func aFileThatMakesLibHDF5AllocateGigabytesIsAnError() throws {
    let path = Self.regression("libhdf5-huge-allocation")
    let e = try #require(arrayError { _ = try GridReader.readLossLandscapeH5(path: path) })
    #expect(e.file == path)
    #expect(!e.message.isEmpty && !e.message.contains("crashed"), "\(e.message)")
    // What can be listed still is: `info` shows the file's objects.
    let description = try GridReader.describeH5(path: path)
    #expect(description.datasets.map(\.name).contains("xcoordinates"))
  }
}
