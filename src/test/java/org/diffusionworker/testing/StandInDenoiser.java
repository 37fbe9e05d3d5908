package org.diffusionworker.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.diffusionworker.diffusion.Denoiser;
import org.diffusionworker.diffusion.NoiseSchedule;

/**
 * The closed-form network of {@code tools/reference/make_multistep_fixtures.py}: the exact noise prediction for data
 * {@code x0 ~ N(mu(c), s^2 I)}, {@code eps = sigma_t (x - alpha_t mu(c)) / (alpha_t^2 s^2 + sigma_t^2)}, plus
 * {@code nonlinear * tanh(x)}; {@code mu(c) = c P} with {@code P[k, p] = 0.5 sin(1.3 (k + 1) + 0.7 p)}.
 */
public final class StandInDenoiser implements Denoiser {

    private final NoiseSchedule schedule;
    private final double s;
    private final double nonlinear;
    private final NDArray pattern;

    public StandInDenoiser(NoiseSchedule schedule, double s, double nonlinear, NDManager manager, int contextWidth,
            int pixels) {
        this.schedule = schedule;
        this.s = s;
        this.nonlinear = nonlinear;
        float[] p = new float[contextWidth * pixels];
        for (int k = 0; k < contextWidth; k++) {
            for (int i = 0; i < pixels; i++) {
                p[k * pixels + i] = (float) (0.5 * Math.sin(1.3 * (k + 1) + 0.7 * i));
            }
        }
        pattern = manager.create(p, new Shape(contextWidth, pixels));
    }

    /** The data mean for each row of {@code c}, shaped as {@code like}. */
    public NDArray mean(NDArray c, Shape like) {
        return c.matMul(pattern).reshape(like);
    }

    /** Each row at its own timestep (t is per row), as the network takes them. */
    @Override
    public NDArray predictNoise(NDArray x, NDArray t, NDArray c) {
        float[] times = t.toFloatArray();
        float[] alphas = new float[times.length];
        float[] scales = new float[times.length];
        for (int i = 0; i < times.length; i++) {
            int step = Math.round(times[i] * schedule.timesteps());
            double alpha = Math.sqrt(schedule.alphaBar(step));
            double sigma = Math.sqrt(1 - schedule.alphaBar(step));
            alphas[i] = (float) alpha;
            scales[i] = (float) (sigma / (alpha * alpha * s * s + sigma * sigma));
        }
        long[] column = new long[x.getShape().dimension()];
        java.util.Arrays.fill(column, 1);
        column[0] = times.length;
        NDArray alpha = x.getManager().create(alphas, new Shape(column));
        NDArray scale = x.getManager().create(scales, new Shape(column));
        NDArray eps = x.sub(mean(c, x.getShape()).mul(alpha)).muli(scale);
        return nonlinear == 0 ? eps : eps.addi(x.tanh().muli((float) nonlinear));
    }
}
