package org.diffusionworker.worker;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where a request stands in the queue, not what it makes: its class and the tenant whose fair share it is drawn from.
 * Neither is part of the result, so two copies of a request that differ only here are the same request.
 *
 * @param priority the class; batches are filled from the highest one waiting
 * @param tenant   who the images are for: 1..64 of {@code [A-Za-z0-9._-]}; tenants of one class share the model by
 *                 weight ({@link WorkerSettings.Fairness#tenants()})
 */
public record Scheduling(Priority priority, String tenant) {

    /** What a tenant name is; also the configuration's check of {@code diffusionworker.tenants."name"}. */
    public static final String TENANT_REGEX = "[A-Za-z0-9._-]{1,64}";
    private static final Pattern TENANT = Pattern.compile(TENANT_REGEX);
    public static final String DEFAULT_TENANT = "default";
    public static final Scheduling DEFAULT = new Scheduling(Priority.NORMAL, DEFAULT_TENANT);

    public Scheduling {
        Objects.requireNonNull(priority, "priority");
        requireValidTenant(tenant);
    }

    /** {@code tenant} when it is a valid tenant name; else a {@link RequestRejectedException} saying why. */
    public static String requireValidTenant(String tenant) {
        if (tenant == null || !TENANT.matcher(tenant).matches()) {
            throw new RequestRejectedException(ErrorCode.INVALID_REQUEST, "tenant must be 1..64 characters of"
                    + " [A-Za-z0-9._-], got " + (tenant == null ? "none" : "'" + shorten(tenant) + "'"));
        }
        return tenant;
    }

    private static String shorten(String s) {
        StringBuilder out = new StringBuilder();
        s.codePoints().limit(40).forEach(c -> out.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return s.length() > 40 ? out + "..." : out.toString();
    }
}
