package org.diffusionworker.cli;

/**
 * Infrastructure started in this process before the application, for the local demo: a Kafka broker and an S3
 * store. The implementation lives in src/embedded/java and exists only in builds with the embedded profile (the
 * default); production builds ({@code -Dproduction}) leave it out, and the demo then says so.
 */
public interface LocalInfrastructure {

    String IMPLEMENTATION = "org.diffusionworker.cli.EmbeddedLocalInfrastructure";

    /** Starts it and points the application at it (through system properties). */
    void start(String... args);

    /** Stops it (its data stays on disk). */
    void stop();

    /** The implementation, or null when this build does not include it. */
    static LocalInfrastructure load() {
        try {
            return (LocalInfrastructure) Class.forName(IMPLEMENTATION).getDeclaredConstructor().newInstance();
        } catch (ClassNotFoundException e) {
            return null;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("could not create " + IMPLEMENTATION, e);
        }
    }
}
