package org.dust4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.dust4j.weights.SafetensorsException;
import org.dust4j.weights.SafetensorsFile;
import org.dust4j.weights.ShardedCheckpoint;
import org.dust4j.weights.TensorInfo;
import org.dust4j.weights.TensorSource;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code dust4j inspect FILE_OR_DIR}: validates a safetensors file, a {@code model.safetensors.index.json} or a
 * checkpoint directory (every shard is opened and checked against the index) and prints metadata, every
 * tensor's name, dtype, shape and size, and totals per dtype. Exit 0 only when everything is valid; an invalid
 * input prints one {@code dust4j: error: ...} line and exits 1.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Validate a safetensors file or sharded checkpoint and list its tensors.")
public final class InspectCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "FILE_OR_DIR",
            description = "A .safetensors file, a model.safetensors.index.json, or a directory holding one.")
    Path path;

    @Option(names = "--json", description = "Machine-readable output (a JSON object on stdout).")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** One tensor row: where it lives and what it is. */
    private record Row(String file, TensorInfo info) {}

    /** One file of the checkpoint. */
    private record FileRow(String file, long bytes, long headerBytes, int tensors) {}

    private static final class Total {
        long tensors, elements, bytes;

        void add(TensorInfo t) {
            tensors++;
            elements += t.numel();
            bytes += t.byteSize();
        }
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        List<Row> rows = new ArrayList<>();
        List<FileRow> files = new ArrayList<>();
        Map<String, String> metadata;
        String format;
        try (TensorSource src = TensorSource.open(path)) {
            metadata = src.metadata();
            if (src instanceof ShardedCheckpoint s) {
                format = "sharded";
                s.validateAll();
                for (String file : s.shardNames()) add(s.shard(file), file, rows, files);
            } else {
                format = "safetensors";
                SafetensorsFile f = (SafetensorsFile) src;
                add(f, String.valueOf(f.path().getFileName()), rows, files);
            }
        } catch (SafetensorsException e) {
            if (json) {
                ObjectNode o = mapper.createObjectNode();
                o.put("path", path.toString());
                o.put("valid", false);
                o.put("error", e.getMessage());
                o.put("rule", e.rule().name());
                out.println(o.toPrettyString());
                out.flush();
            }
            err.println("dust4j: error: " + e.getMessage());
            err.flush();
            return 1;
        }
        Map<String, Total> totals = new TreeMap<>();
        Total all = new Total();
        for (Row r : rows) {
            totals.computeIfAbsent(r.info.dtype().name(), k -> new Total()).add(r.info);
            all.add(r.info);
        }
        if (json) printJson(out, mapper, format, metadata, files, rows, totals, all);
        else printText(out, format, metadata, files, rows, totals, all);
        out.flush();
        return 0;
    }

    private static void add(SafetensorsFile f, String file, List<Row> rows, List<FileRow> files) {
        for (TensorInfo t : f.infos()) rows.add(new Row(file, t));
        files.add(new FileRow(file, f.fileSize(), f.headerLength(), f.names().size()));
    }

    private void printText(PrintWriter out, String format, Map<String, String> metadata, List<FileRow> files,
                           List<Row> rows, Map<String, Total> totals, Total all) {
        out.println("path       " + path);
        long bytes = files.stream().mapToLong(FileRow::bytes).sum();
        out.println("format     " + format + " (" + files.size() + (files.size() == 1 ? " file, " : " files, ") + bytes + " bytes)");
        for (FileRow f : files) {
            out.printf("file       %s  %d bytes, header %d bytes, %d tensors%n", f.file, f.bytes, f.headerBytes, f.tensors);
        }
        if (metadata.isEmpty()) out.println("metadata   (none)");
        metadata.forEach((k, v) -> out.println("metadata   " + k + " = " + v));
        out.println("tensors    " + rows.size());
        int w = 4;
        for (Row r : rows) w = Math.max(w, Math.min(80, r.info.name().length()));
        boolean sharded = files.size() > 1 || format.equals("sharded");
        String fmt = "  %-" + w + "s  %-7s  %-18s  %12s" + (sharded ? "  %s" : "") + "%n";
        out.printf(fmt, "NAME", "DTYPE", "SHAPE", "BYTES", "FILE");
        for (Row r : rows) {
            out.printf(fmt, r.info.name(), r.info.dtype(), r.info.shapeString(), r.info.byteSize(), r.file);
        }
        out.println("totals");
        totals.forEach((d, t) -> out.printf("  %-7s %6d tensors  %14d elements  %14d bytes%n", d, t.tensors, t.elements, t.bytes));
        out.printf("  %-7s %6d tensors  %14d elements  %14d bytes%n", "all", all.tensors, all.elements, all.bytes);
        out.println("valid      yes");
    }

    private void printJson(PrintWriter out, ObjectMapper mapper, String format, Map<String, String> metadata,
                           List<FileRow> files, List<Row> rows, Map<String, Total> totals, Total all) {
        ObjectNode o = mapper.createObjectNode();
        o.put("path", path.toString());
        o.put("valid", true);
        o.put("format", format);
        ArrayNode fs = o.putArray("files");
        for (FileRow f : files) {
            fs.addObject().put("file", f.file).put("bytes", f.bytes).put("header_bytes", f.headerBytes).put("tensors", f.tensors);
        }
        ObjectNode md = o.putObject("metadata");
        metadata.forEach(md::put);
        ArrayNode ts = o.putArray("tensors");
        for (Row r : rows) {
            ObjectNode t = ts.addObject();
            t.put("name", r.info.name());
            t.put("dtype", r.info.dtype().name());
            ArrayNode sh = t.putArray("shape");
            for (long d : r.info.shape()) sh.add(d);
            t.put("elements", r.info.numel());
            t.put("bytes", r.info.byteSize());
            t.put("file", r.file);
            t.putArray("data_offsets").add(r.info.begin()).add(r.info.end());
        }
        ObjectNode tot = o.putObject("totals");
        totals.forEach((d, t) -> tot.putObject(d).put("tensors", t.tensors).put("elements", t.elements).put("bytes", t.bytes));
        o.putObject("total").put("tensors", all.tensors).put("elements", all.elements).put("bytes", all.bytes);
        out.println(o.toPrettyString());
    }
}
