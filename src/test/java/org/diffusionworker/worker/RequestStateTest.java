package org.diffusionworker.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RequestStateTest {

    private static final Set<RequestState> ENDINGS = EnumSet.of(RequestState.COMPLETED, RequestState.FAILED,
            RequestState.CANCELED, RequestState.ABANDONED);

    /** Every allowed transition, written out: anything not here must be refused. */
    private static final Map<RequestState, Set<RequestState>> ALLOWED = Map.of(
            RequestState.LOOKING_UP, union(EnumSet.of(RequestState.QUEUED), ENDINGS),
            RequestState.QUEUED, union(EnumSet.of(RequestState.RUNNING), ENDINGS),
            RequestState.RUNNING, union(EnumSet.of(RequestState.STORING), ENDINGS),
            RequestState.STORING, EnumSet.of(RequestState.COMPLETED, RequestState.FAILED, RequestState.ABANDONED),
            RequestState.COMPLETED, EnumSet.noneOf(RequestState.class),
            RequestState.FAILED, EnumSet.noneOf(RequestState.class),
            RequestState.CANCELED, EnumSet.noneOf(RequestState.class),
            RequestState.ABANDONED, EnumSet.noneOf(RequestState.class));

    private static Set<RequestState> union(Set<RequestState> a, Set<RequestState> b) {
        Set<RequestState> u = EnumSet.copyOf(a);
        u.addAll(b);
        return u;
    }

    @Test
    void everyTransitionIsAllowedExactlyWhenListed() {
        assertEquals(EnumSet.allOf(RequestState.class), ALLOWED.keySet());
        for (RequestState from : RequestState.values()) {
            for (RequestState to : RequestState.values()) {
                assertEquals(ALLOWED.get(from).contains(to), from.canMoveTo(to), from + " -> " + to);
            }
        }
    }

    @Test
    void terminalStatesEndTheRequestAndOnlyEarlyOnesCanBeCanceled() {
        for (RequestState s : RequestState.values()) {
            assertEquals(ENDINGS.contains(s), s.isTerminal(), s.name());
        }
        assertTrue(RequestState.LOOKING_UP.isCancelable());
        assertTrue(RequestState.QUEUED.isCancelable());
        assertTrue(RequestState.RUNNING.isCancelable());
        assertFalse(RequestState.STORING.isCancelable(), "sampled: too late to cancel");
        ENDINGS.forEach(s -> assertFalse(s.isCancelable(), s.name()));
    }
}
