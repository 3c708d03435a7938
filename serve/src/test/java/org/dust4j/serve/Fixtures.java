package org.dust4j.serve;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.dust4j.model.DustPolicy;
import org.dust4j.model.ModelConfig;
import org.dust4j.model.PolicyModel;

/** testdata/serve (written by tools/reference/make_serve_fixtures.py) and a seeded model built from its config. */
final class Fixtures {
    private Fixtures() {}

    static Path dir() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("testdata/serve"))) p = p.getParent();
        if (p == null) throw new IllegalStateException("testdata/serve not found above " + Path.of("").toAbsolutePath());
        return p.resolve("testdata/serve");
    }

    static Gr00tMetadata metadata() throws IOException {
        return Gr00tMetadata.load(dir().resolve("metadata.json"));
    }

    static DataConfig dataConfig() throws IOException {
        return DataConfig.load(dir().resolve("data_config.json"));
    }

    /** A model directory with random weights (AdaLN random too, so outputs depend on every input) and the metadata. */
    static Path modelDir(Path tmp) throws IOException {
        Path d = tmp.resolve("model");
        PolicyModel m = PolicyModel.create(ModelConfig.read(dir().resolve("model/config.json")), 7);
        m.save(d);
        Files.createDirectories(d.resolve("experiment_cfg"));
        Files.copy(dir().resolve("metadata.json"), d.resolve("experiment_cfg/metadata.json"));
        return d;
    }

    static PolicyService service(Path modelDir) throws Exception {
        DustPolicy p = DustPolicy.load(modelDir);
        return new PolicyService(p, RobotUnits.forModel(metadata(), dataConfig(), p.model().config()), 1000);
    }
}
