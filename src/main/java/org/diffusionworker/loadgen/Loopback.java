package org.diffusionworker.loadgen;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Refuses bootstrap servers that are not on this machine: a load test is meant for a local or test worker, and
 * pointing it at a shared cluster by mistake would flood it. {@code localhost}, 127.0.0.0/8 and ::1 are loopback;
 * names are not resolved.
 */
public final class Loopback {

    private static final Pattern LOOPBACK_IPV4 = Pattern.compile("127(\\.\\d{1,3}){3}");

    private Loopback() {}

    public static void require(String servers, boolean allowRemote) {
        if (allowRemote) {
            return;
        }
        List<String> remote = new ArrayList<>();
        for (String server : servers.split(",")) {
            String s = server.trim();
            if (!s.isEmpty() && !isLoopback(host(s))) {
                remote.add(s);
            }
        }
        if (!remote.isEmpty()) {
            throw new IllegalArgumentException("loadgen sends to loopback brokers only (localhost, 127.0.0.0/8, ::1);"
                    + " not loopback: " + String.join(", ", remote) + ". Add --allow-remote to load a remote cluster"
                    + " on purpose");
        }
    }

    /** The host of {@code host:port}, {@code [v6]:port} or a bare host; a security-protocol prefix is dropped. */
    static String host(String server) {
        String s = server.replaceFirst("^[A-Za-z_]+://", "");
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            return close > 0 ? s.substring(1, close) : s;
        }
        int colon = s.lastIndexOf(':');
        return colon > 0 && s.indexOf(':') == colon ? s.substring(0, colon) : s;
    }

    private static boolean isLoopback(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        Matcher v4 = LOOPBACK_IPV4.matcher(h);
        return h.equals("localhost") || h.equals("::1") || h.equals("0:0:0:0:0:0:0:1") || v4.matches();
    }
}
