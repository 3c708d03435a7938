package org.dust4j.sim;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** McNemar exact, paired bootstrap and Wilson against hand-computed values. */
class PairedStatsTest {
    @Test
    void mcnemarExactKnownValues() {
        // 2 * P(X <= 1), X ~ Bin(10, 1/2) = 2 * 11/1024
        assertEquals(22.0 / 1024, PairedStats.mcnemarExact(1, 9), 1e-15);
        assertEquals(22.0 / 1024, PairedStats.mcnemarExact(9, 1), 1e-15);
        assertEquals(2.0 / 64, PairedStats.mcnemarExact(0, 6), 1e-15);
        assertEquals(1.0, PairedStats.mcnemarExact(5, 5), 0);
        assertEquals(1.0, PairedStats.mcnemarExact(0, 0), 0);
        // 2 * (1 + 20 + 190) / 2^20 for (2, 18)
        assertEquals(2.0 * 211 / (1 << 20), PairedStats.mcnemarExact(2, 18), 1e-15);
        // large n stays finite and symmetric (log-space sum)
        double p = PairedStats.mcnemarExact(400, 500);
        assertTrue(p > 0 && p < 0.01, "p " + p);
        assertThrows(IllegalArgumentException.class, () -> PairedStats.mcnemarExact(-1, 2));
    }

    @Test
    void discordantCountsFromPairs() {
        boolean[] a = {true, true, false, false, true};
        boolean[] b = {true, false, true, false, false};
        assertEquals(new PairedStats.Discordant(2, 1), PairedStats.discordant(a, b));
        assertThrows(IllegalArgumentException.class, () -> PairedStats.mcnemarExact(a, new boolean[4]));
    }

    @Test
    void pairedBootstrap() {
        double[] a = {1, 2, 3, 4, 5, 6}, b = {0.5, 1.5, 2.5, 3.5, 4.5, 5.5};
        PairedStats.Bootstrap r = PairedStats.pairedBootstrap(a, b, 1000, 1);
        assertEquals(0.5, r.meanDiff(), 1e-12);
        assertEquals(0.5, r.lo(), 1e-12);          // every resample of a constant difference is that constant
        assertEquals(0.5, r.hi(), 1e-12);
        assertEquals(0.0, r.p(), 0);
        PairedStats.Bootstrap same = PairedStats.pairedBootstrap(a, a, 1000, 1);
        assertEquals(1.0, same.p(), 0);
        // a symmetric difference: p must be large, the interval must straddle 0
        double[] c = {1, 0, 1, 0, 1, 0, 1, 0}, d = {0, 1, 0, 1, 0, 1, 0, 1};
        PairedStats.Bootstrap s = PairedStats.pairedBootstrap(c, d, 2000, 3);
        assertEquals(0.0, s.meanDiff(), 1e-12);
        assertTrue(s.lo() < 0 && s.hi() > 0 && s.p() > 0.5, s.toString());
        assertEquals(s, PairedStats.pairedBootstrap(c, d, 2000, 3), "seeded: same result");
        assertThrows(IllegalArgumentException.class, () -> PairedStats.pairedBootstrap(a, new double[] {1}, 1000, 1));
        assertThrows(IllegalArgumentException.class, () -> PairedStats.pairedBootstrap(new double[] {Double.NaN}, new double[] {1}, 1000, 1));
    }

    @Test
    void wilsonKnownValues() {
        // 5/10: centre 0.5, half-width z sqrt(0.025 + z^2/400) / (1 + z^2/10) = 0.26340...
        double[] ci = Wilson.interval95(5, 10);
        assertEquals(0.23659309, ci[0], 1e-7);
        assertEquals(0.76340691, ci[1], 1e-7);
        ci = Wilson.interval95(0, 10);
        assertEquals(0.0, ci[0], 1e-12);
        assertEquals(0.27753279, ci[1], 1e-7);
        ci = Wilson.interval95(10, 10);
        assertEquals(0.72246721, ci[0], 1e-7);
        assertEquals(1.0, ci[1], 1e-12);
    }
}
