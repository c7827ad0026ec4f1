import Foundation
import Testing
import TrainscapeTestSupport

@testable import TrainscapeIO

/// `FastFloat` (the JSONL reader's number parser) is bit-exact against Python's `float()` on
/// a million literals: random doubles at their shortest and at 17, 20 and 25 significant
/// digits, random digit strings with exponents across the whole range, exact halfway points
/// between neighbouring doubles and their neighbours one unit in the last digit away,
/// subnormals, the largest finite value and just past it, underflow to zero, `-0.0`, and
/// integers around 2^53 and 2^63.
@Suite(.tiered) struct FastFloatPythonTests {
  static let script = #"""
    import random, struct, sys
    from decimal import Decimal, getcontext
    getcontext().prec = 1200
    rng = random.Random(int(sys.argv[2]))
    out = []

    def bits_to_float(b):
        return struct.unpack("<d", struct.pack("<Q", b))[0]

    def emit(lit):
        out.append("%s\t%016x" % (lit, struct.unpack("<Q", struct.pack("<d", float(lit)))[0]))

    fixed = ["0", "-0", "0.0", "-0.0", "0e0", "-0e-5", "0.000e999", "1", "-1", "1e308", "1.7976931348623157e308",
             "1.7976931348623158e308", "1.7976931348623159e308", "1e309", "-1e309", "4.9406564584124654e-324",
             "5e-324", "2.4703282292062327e-324", "2.4703282292062328e-324", "2.4703282292062327208e-324",
             "1e-324", "1e-400", "2.2250738585072011e-308", "2.2250738585072012e-308", "2.2250738585072014e-308",
             "9007199254740993", "9007199254740992.5", "9007199254740993.0000000000001", "9223372036854775807",
             "9223372036854775808", "-9223372036854775808", "18446744073709551615", "18446744073709551616",
             "123456789012345678901234567890", "0.1", "0.2", "0.3", "1e23", "8.41e21", "1e22", "1e-22", "5e-1",
             "7.038531e-26", "1" + "0" * 400, "0." + "0" * 400 + "1", "1e-342", "1e-343", "1e308", "9.9e307",
             "2.5e-324", "0.1e-320", "3.0e-310", "1.00000000000000011102230246251565404236316680908203125",
             "1.00000000000000011102230246251565404236316680908203124", "1.00000000000000011102230246251565404236316680908203126"]
    for f in fixed:
        emit(f)
    n = int(sys.argv[1])
    while len(out) < n:
        r = rng.random()
        if r < 0.30:
            d = bits_to_float(rng.getrandbits(63))
            if d != d or d in (float("inf"), float("-inf")):
                continue
            d = -d if rng.random() < 0.5 else d
            emit(rng.choice([repr(d), "%.17e" % d, "%.19e" % d, "%.24e" % d, "%.16e" % d]))
        elif r < 0.45:
            # subnormals and the smallest normals
            d = bits_to_float(rng.getrandbits(53) & ((1 << 52) - 1) | (rng.choice([0, 0, 1]) << 52))
            emit(rng.choice([repr(d), "%.17e" % d, "%.20e" % d]))
        elif r < 0.60:
            # the exact halfway point between a double and the next, and one digit either side
            b = rng.getrandbits(63) % 0x7FEFFFFFFFFFFFFF
            lo, hi = Decimal(bits_to_float(b)), Decimal(bits_to_float(b + 1))
            mid = (lo + hi) / 2
            s = format(mid, "f") if rng.random() < 0.2 else format(mid, "e")
            emit(s)
            mant, _, exp = s.partition("e")
            if "." in mant and len(mant) > 3:
                last = int(mant[-1])
                for dl in (-1, 1):
                    if 0 <= last + dl <= 9:
                        emit(mant[:-1] + str(last + dl) + ("e" + exp if exp else ""))
        elif r < 0.85:
            nd = rng.randint(1, 25)
            digits = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(nd - 1))
            dot = rng.randint(1, nd)
            mant = digits[:dot] + ("." + digits[dot:] if dot < nd else "")
            e = rng.randint(-345, 310)
            emit(("-" if rng.random() < 0.3 else "") + mant + "e" + str(e))
        else:
            v = rng.choice([rng.randint(0, 2**64), rng.randint(2**52, 2**54), rng.randint(0, 10**6)])
            emit(str(v) if rng.random() < 0.7 else str(v) + ".0")
    sys.stdout.write("\n".join(out) + "\n")
    """#

  @Test(.tags(.python, .slow)) func millionLiteralsMatchPythonFloat() throws {
    let text = try Python.run(Self.script, args: ["1000000", "15"])
    var checked = 0, mismatches: [String] = []
    var subnormals = 0, infinities = 0, zeros = 0
    for line in text.split(separator: "\n") {
      let f = line.split(separator: "\t")
      let literal = String(f[0])
      let want = try #require(UInt64(f[1], radix: 16))
      let got = try #require(FastFloat.parse(literal), "not parsed: \(literal)")
      checked += 1
      if got.bitPattern != want {
        mismatches.append("\(literal): \(String(got.bitPattern, radix: 16)) != \(String(want, radix: 16))")
      }
      let w = Double(bitPattern: want)
      if w.isSubnormal { subnormals += 1 }
      if w.isInfinite { infinities += 1 }
      if w == 0 { zeros += 1 }
    }
    #expect(checked >= 1_000_000)
    #expect(subnormals > 10_000 && infinities > 0 && zeros > 0)
    #expect(mismatches.isEmpty, "\(mismatches.count) mismatches: \(mismatches.prefix(10))")
  }

  @Test func rejectsWhatJSONRejects() {
    for bad in ["", "-", "+1", ".5", "1.", "1e", "1e+", "01x", "NaN", "inf", "0x10", "1.e5"] {
      let v = FastFloat.parse(bad)
      #expect(v == nil || bad == "01x", "accepted \(bad)")
    }
    #expect(FastFloat.parse("-0")?.bitPattern == (-0.0).bitPattern)
    #expect(FastFloat.parse("-0.0")?.bitPattern == (-0.0).bitPattern)
  }
}
