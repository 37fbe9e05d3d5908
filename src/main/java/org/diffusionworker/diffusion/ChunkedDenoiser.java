package org.diffusionworker.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

/**
 * A {@link Denoiser} that runs a pass of more than {@code maxRows} rows as network calls of at most {@code maxRows}
 * rows and concatenates their predictions. The network treats every row on its own, so the result is the pass's.
 *
 * <p>Why: on a CPU, libtorch takes each tensor from glibc's malloc, which maps any block above its mmap threshold
 * (32 MiB at most) afresh on every call and faults it in page by page. One row of the ContextUnet holds 392 KiB in
 * its largest tensor, so a pass above ~83 rows pays those faults on every step however warm the process is (a joined
 * or guided batch: 2.82 against 1.84 ms per image at 128 rows, docs/performance.md). Each call's intermediate tensors
 * live in a sub-manager closed after the call, so the next call reuses their memory.
 */
public final class ChunkedDenoiser implements Denoiser {

    private final Denoiser network;
    private final int maxRows;

    /** @param maxRows rows of one network call at most (at least 1) */
    public ChunkedDenoiser(Denoiser network, int maxRows) {
        if (maxRows < 1) {
            throw new IllegalArgumentException("rows per network call must be at least 1, got " + maxRows);
        }
        this.network = network;
        this.maxRows = maxRows;
    }

    public int maxRows() {
        return maxRows;
    }

    @Override
    public NDArray predictNoise(NDArray x, NDArray t, NDArray c) {
        long rows = x.getShape().get(0);
        if (rows <= maxRows) {
            return network.predictNoise(x, t, c);
        }
        NDManager pass = x.getManager();
        NDList parts = new NDList();
        for (long from = 0; from < rows; from += maxRows) {
            String range = from + ":" + Math.min(rows, from + maxRows);
            try (NDManager call = pass.newSubManager()) {
                NDArray part = network.predictNoise(in(call, x, range), in(call, t, range), in(call, c, range));
                part.attach(pass);
                parts.add(part);
            }
        }
        NDArray eps = NDArrays.concat(parts, 0);
        parts.close();
        return eps;
    }

    /** Rows {@code range} of {@code whole}, owned by {@code call} so that what the network computes from them is too. */
    private static NDArray in(NDManager call, NDArray whole, String range) {
        NDArray rows = whole.get(range);
        rows.attach(call);
        return rows;
    }
}
