package org.diffusionworker.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What a forward pass of the shipped model costs, and how many minor page faults it takes, by rows, in a fresh
 * process, after warm-up passes chosen by {@code BENCH_WARM} (e.g. {@code 192x3}: three passes of 192 rows; empty:
 * none). glibc's malloc maps large blocks afresh and gives freed heap back until it has seen blocks that large freed,
 * so a process's first passes can fault every tensor's pages in again (docs/performance.md, "Allocator"); run it
 * with {@code GLIBC_TUNABLES}, {@code LD_PRELOAD} (jemalloc) or {@code THP_MEM_ALLOC_ENABLE=1} to compare
 * allocators. A benchmark, not a test: {@code BENCH_WARM=192x3 ./mvnw -Pbench test -Dtest=PassPageFaultBenchmark}
 * (BENCH_SIZES=64,68,72,80,88,96,64; eight passes per size, median; BENCH_CHUNK=64 runs a larger pass as forward
 * calls of at most that many rows).
 */
@Tag("benchmark")
class PassPageFaultBenchmark {

    private static final int CHUNK = Integer.parseInt(System.getenv().getOrDefault("BENCH_CHUNK", "0"));

    @Test
    void faultsBySize() {
        List<Integer> sizes = Arrays.stream(System.getenv().getOrDefault("BENCH_SIZES",
                "64,68,72,80,88,96,64").split(",")).map(Integer::parseInt).toList();
        DjlRuntime.engine();
        try (LoadedModel model = ModelLoader.fromDirectory(Path.of("models/fashion-mnist"), Device.cpu())) {
            DjlRuntime.disableGradientsOnThisThread();
            for (String w : System.getenv().getOrDefault("BENCH_WARM", "").split(",")) {
                if (!w.isEmpty()) {
                    String[] sizeTimes = w.split("x"); // rows x passes
                    for (int i = 0; i < Integer.parseInt(sizeTimes[1]); i++) {
                        long f0 = minorFaults();
                        double ms = time(model, Integer.parseInt(sizeTimes[0]));
                        System.out.printf(Locale.ROOT, "warm %s: %.1f ms, %d faults%n", sizeTimes[0], ms,
                                minorFaults() - f0);
                    }
                }
            }
            for (int s : sizes) {
                double[] ms = new double[8];
                long[] faults = new long[8];
                for (int i = 0; i < 8; i++) {
                    long f0 = minorFaults();
                    ms[i] = time(model, s);
                    faults[i] = minorFaults() - f0;
                }
                double[] sorted = ms.clone();
                Arrays.sort(sorted);
                System.out.printf(Locale.ROOT, "rows %3d median %6.1f ms (%.2f ms/img) first %6.1f; faults per pass %s%n",
                        s, sorted[4], sorted[4] / s, ms[0], Arrays.toString(faults));
            }
            // What the allocator keeps: resident now (between passes) and at most, in MiB.
            System.out.printf(Locale.ROOT, "resident %d MiB, peak %d MiB%n", status("VmRSS") >> 10,
                    status("VmHWM") >> 10);
        }
    }

    /** A KiB figure of /proc/self/status. */
    private static long status(String field) {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith(field + ":"))
                    .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).findFirst().orElse(-1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long minorFaults() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[7]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static double time(LoadedModel model, int rows) {
        try (NDManager m = model.manager().newSubManager()) {
            NDList in = PassSizeBenchmark.inputs(m, rows, model.spec().labels().size(), true);
            NDArray x = in.get(0);
            NDArray times = in.get(1);
            NDArray c = in.get(2);
            long start = System.nanoTime();
            if (CHUNK > 0 && rows > CHUNK) {
                for (int from = 0; from < rows; from += CHUNK) {
                    String range = from + ":" + Math.min(rows, from + CHUNK);
                    ForwardTimingBenchmark.pass(model, x.get(range), times.get(range), c.get(range));
                }
            } else {
                ForwardTimingBenchmark.pass(model, x, times, c);
            }
            return (System.nanoTime() - start) / 1e6;
        }
    }
}
