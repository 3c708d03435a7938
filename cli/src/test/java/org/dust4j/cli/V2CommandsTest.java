package org.dust4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** {@code dust4j v2 ...} at tiny scale: the baselines table and one-line errors for bad input. */
class V2CommandsTest {
    @Test
    void baselinesShowCeilingAndFloorOnPairedEpisodes() {
        ModelCommandsTest.Result r = ModelCommandsTest.run("v2", "baselines", "--tasks", "v2_open_drawer", "--episodes-per-task", "2", "--threads", "1");
        assertEquals(0, r.code(), r.err());
        String[] blocks = r.out().split("\n\n");
        assertTrue(blocks[1].startsWith("expert (no noise)") && blocks[1].contains("v2_open_drawer        2/2"), r.out());
        assertTrue(r.out().contains("no-op\n") && r.out().contains("discordant 2 / 0"), r.out());
    }

    @Test
    void badInputIsOneClearLine() {
        ModelCommandsTest.Result r = ModelCommandsTest.run("v2", "encoder-probe", "--encoders", "eagle", "--train-episodes", "2", "--test-episodes", "1",
                "--stride", "50");
        assertNotEquals(0, r.code());
        assertTrue(r.err().lines().findFirst().orElse("").contains("unknown encoder 'eagle'"), r.err());
        r = ModelCommandsTest.run("v2", "baselines", "--episodes-per-task", "0");
        assertNotEquals(0, r.code());
        assertTrue(r.err().lines().findFirst().orElse("").contains("'--episodes-per-task': 0"), r.err());
        r = ModelCommandsTest.run("v2", "diagnose", "--model", "nowhere", "--data", "nowhere", "--what", "magic");
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("unknown diagnostic 'magic'"), r.err());
    }
}
