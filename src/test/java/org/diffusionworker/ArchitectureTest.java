package org.diffusionworker;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackages;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import org.junit.jupiter.api.Test;

/**
 * The house's package rules: packages mirror the path of a request and imports point one way
 * (app, the application shell -> messaging, the Kafka adapter -> worker -> generation -> diffusion,
 * model; imaging, storage, training, cli and
 * embedded beside them; the engines of two commands, loadgen and benchmark, and the long commands' progress bars
 * and stop signal (console) below cli only, loadgen on the worker's client side (client); inside training:
 * trainer -> evaluation -> data). The one place these rules are written. Plain {@code @Test}s: ArchUnit's own
 * JUnit engine finds no tests under the JUnit 6 platform that Quarkus 3.33 brings.
 */
class ArchitectureTest {

    private static final String BASE = "org.diffusionworker.";
    /** The trainer's own package, without the sub-packages that {@code pkg("training")} takes in. */
    private static final String TRAINER = BASE + "training";
    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.diffusionworker");

    /** A package and everything under it. */
    private static String pkg(String name) {
        return BASE + name + "..";
    }

    /**
     * One slice for the trainer's package and one for each package under it (with whatever lies
     * below that): {@code trainer}, {@code data}, {@code evaluation}; everything else is left out.
     */
    private static final SliceAssignment TRAINING_PARTS = new SliceAssignment() {
        @Override
        public SliceIdentifier getIdentifierOf(JavaClass javaClass) {
            String name = javaClass.getPackageName();
            if (name.equals(TRAINER)) {
                return SliceIdentifier.of("trainer");
            }
            if (name.startsWith(TRAINER + ".")) {
                return SliceIdentifier.of(name.substring(TRAINER.length() + 1).split("\\.")[0]);
            }
            return SliceIdentifier.ignore();
        }

        @Override
        public String getDescription() {
            return "the trainer and each package under it";
        }
    };

    @Test
    void modelDependsOnDjlOnly() {
        // Jackson reads and writes the model card; JNA (which DJL brings) lets OneDnnGuard set oneDNN's ISA cap.
        classes().that().resideInAPackage(pkg("model")).should().onlyDependOnClassesThat()
                .resideInAnyPackage("java..", "ai.djl..", "com.fasterxml.jackson..", "com.sun.jna..", pkg("model"))
                .check(CLASSES);
    }

    @Test
    void diffusionSeesTensorsAndNotTheNetwork() {
        classes().that().resideInAPackage(pkg("diffusion")).should().onlyDependOnClassesThat()
                .resideInAnyPackage("java..", "ai.djl.ndarray..", pkg("diffusion"))
                .check(CLASSES);
    }

    @Test
    void generationBuildsOnModelAndDiffusionOnly() {
        classes().that().resideInAPackage(pkg("generation")).should().onlyDependOnClassesThat()
                .resideInAnyPackage("java..", "ai.djl..", pkg("generation"), pkg("model"), pkg("diffusion"))
                .check(CLASSES);
    }

    @Test
    void imagingUsesTheJdkOnly() {
        // org.w3c.dom is the JDK's DOM, which javax.imageio metadata trees are made of.
        classes().that().resideInAPackage(pkg("imaging")).should().onlyDependOnClassesThat()
                .resideInAnyPackage("java..", "javax..", "org.w3c.dom..", pkg("imaging"))
                .check(CLASSES);
    }

    @Test
    void storageUsesTheMinioClientOnly() {
        // okhttp3: the MinIO client's exceptions expose its HTTP response (for the status code).
        classes().that().resideInAPackage(pkg("storage")).should().onlyDependOnClassesThat()
                .resideInAnyPackage("java..", "io.minio..", "okhttp3..", pkg("storage"))
                .check(CLASSES);
    }

    @Test
    void workerUsesGenerationImagingAndStorageButNoKafkaNorMessaging() {
        // diffusion and model: types the engine exposes (sampler settings, guidance, the model card). The
        // OpenTelemetry API (not the SDK): the spans of its stages, recorded or not as the shell decides.
        classes().that().resideInAPackage(pkg("worker")).should().onlyDependOnClassesThat()
                .resideInAnyPackage("java..", "io.opentelemetry.api..",
                        "io.opentelemetry.context..", pkg("worker"), pkg("generation"), pkg("imaging"),
                        pkg("storage"), pkg("diffusion"), pkg("model"))
                .check(CLASSES);
    }

    @Test
    void oneLoggingApiTheJdksSystemLogger() {
        // System.Logger is the JDK's, so model (DJL only) may use it too; under Quarkus it goes through JBoss LogManager
        // like any other log line (same format, same JSON logging). JBoss Logging's own API stays Quarkus's.
        noClasses().should().dependOnClassesThat().resideInAnyPackage("org.jboss.logging..", "org.slf4j..",
                        "org.apache.logging.log4j..", "java.util.logging..")
                .check(CLASSES);
    }

    @Test
    void onlyTheApplicationShellTouchesTheOpenTelemetrySdk() {
        // The rest records spans through the API; what happens to them (exported, dropped) is configuration.
        noClasses().that().resideOutsideOfPackage(pkg("app")).should().dependOnClassesThat()
                .resideInAPackage("io.opentelemetry.sdk..")
                .check(CLASSES);
    }

    @Test
    void nothingButTheApplicationShellImportsMessaging() {
        noClasses().that().resideOutsideOfPackages(pkg("messaging"), pkg("app")).should().dependOnClassesThat()
                .resideInAPackage(pkg("messaging"))
                .check(CLASSES);
    }

    @Test
    void nothingImportsTheApplicationShell() {
        // The shell wires the rest; messaging reaches it only through the WorkerConnection the shell opens.
        noClasses().that().resideOutsideOfPackage(pkg("app")).should().dependOnClassesThat()
                .resideInAPackage(pkg("app"))
                .check(CLASSES);
    }

    @Test
    void messagingIsTheKafkaAdapterOnly() {
        // No model, no tensors, no object store client, no typed configuration of its own: the shell does those.
        // (It reads requests into the worker's vocabulary: generation's Conditioning, diffusion's SamplerKind,
        // storage's request-id rule.)
        noClasses().that().resideInAPackage(pkg("messaging")).should().dependOnClassesThat()
                .resideInAnyPackage(pkg("model"), "ai.djl..", "io.minio..", "io.smallrye.config..")
                .check(CLASSES);
    }

    @Test
    void messagingUsesTheWorkerNotTheEngineInternals() {
        noClasses().that().resideInAPackage(pkg("messaging")).should().dependOnClassesThat()
                .resideInAnyPackage(pkg("imaging"), pkg("training"), pkg("cli"), pkg("embedded"))
                .check(CLASSES);
    }

    @Test
    void theApplicationShellDoesNotTouchKafkaItself() {
        noClasses().that().resideInAPackage(pkg("app")).should().dependOnClassesThat()
                .resideInAnyPackage("org.apache.kafka..", "io.smallrye.reactive..")
                .check(CLASSES);
    }

    @Test
    void onlyMessagingTheClientsAndTheCommandLineTouchKafka() {
        noClasses().that().resideOutsideOfPackages(pkg("messaging"), pkg("cli"), pkg("client"), pkg("loadgen"),
                        pkg("embedded"))
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.kafka..", "io.smallrye.reactive..")
                .check(CLASSES);
    }

    @Test
    void importsPointOneWayDownTheRequestPath() {
        noClasses().that().resideInAnyPackage(pkg("model"), pkg("diffusion"), pkg("generation"), pkg("imaging"),
                        pkg("storage"))
                .should().dependOnClassesThat().resideInAnyPackage(pkg("worker"), pkg("messaging"), pkg("app"),
                        pkg("cli"), pkg("training"), pkg("embedded"), pkg("loadgen"), pkg("benchmark"), pkg("client"))
                .check(CLASSES);
        noClasses().that().resideInAPackage(pkg("model")).should().dependOnClassesThat()
                .resideInAnyPackage(pkg("diffusion"), pkg("generation"))
                .check(CLASSES);
        noClasses().that().resideInAPackage(pkg("diffusion")).should().dependOnClassesThat()
                .resideInAnyPackage(pkg("model"), pkg("generation"))
                .check(CLASSES);
    }

    @Test
    void trainingBuildsOnModelDiffusionAndImaging() {
        // No command-line libraries either: progress is reported through TrainingListener.
        noClasses().that().resideInAPackage(pkg("training")).should().dependOnClassesThat()
                .resideInAnyPackage(pkg("generation"), pkg("worker"), pkg("messaging"), pkg("app"), pkg("cli"),
                        pkg("storage"),
                        pkg("embedded"), "io.quarkus..", "me.tongfei..", "picocli..")
                .check(CLASSES);
    }

    @Test
    void trainingDataReadsFilesWithTheJdkOnly() {
        // imaging: ImageDataset hands its images on as an ImageBatch. No engine, no trainer, no evaluation.
        classes().that().resideInAPackage(pkg("training.data")).should().onlyDependOnClassesThat()
                .resideInAnyPackage("java..", "javax..", pkg("imaging"), pkg("training.data"))
                .check(CLASSES);
        noClasses().that().resideInAPackage(pkg("training.data")).should().dependOnClassesThat()
                .resideInAnyPackage(TRAINER, pkg("training.evaluation"))
                .check(CLASSES);
    }

    @Test
    void evaluationBuildsOnTrainingDataNotOnTheTrainer() {
        // The images it scores come through SampleSource, which the evaluate command implements.
        noClasses().that().resideInAPackage(pkg("training.evaluation")).should().dependOnClassesThat(
                        resideInAPackage(pkg("training"))
                                .and(resideOutsideOfPackages(pkg("training.evaluation"), pkg("training.data"))))
                .check(CLASSES);
    }

    @Test
    void trainingPackagesFormNoCycles() {
        slices().assignedFrom(TRAINING_PARTS).should().beFreeOfCycles()
                .check(CLASSES);
    }

    @Test
    void onlyTheCommandLineImportsTheLoadGeneratorAndTheBenchmark() {
        // Each is the engine of one command (loadgen, benchmark): option parsing stays in cli, the work is theirs.
        noClasses().that().resideOutsideOfPackages(pkg("cli"), pkg("loadgen")).should().dependOnClassesThat()
                .resideInAPackage(pkg("loadgen"))
                .check(CLASSES);
        noClasses().that().resideOutsideOfPackages(pkg("cli"), pkg("benchmark")).should().dependOnClassesThat()
                .resideInAPackage(pkg("benchmark"))
                .check(CLASSES);
    }

    @Test
    void theLoadGeneratorIsAClientOfTheWorker() {
        // It talks to a running worker through Kafka as any producer would (client), in the worker's vocabulary
        // (samplers, layouts, priorities, the tenant pattern), and draws its plots in imaging's frame: nothing of the
        // engine, the model, the adapter or the shell.
        noClasses().that().resideInAPackage(pkg("loadgen")).should().dependOnClassesThat()
                .resideInAnyPackage(pkg("benchmark"), pkg("cli"), pkg("messaging"), pkg("app"), pkg("generation"),
                        pkg("model"), pkg("training"), pkg("storage"), pkg("embedded"), "ai.djl..", "picocli..")
                .check(CLASSES);
    }

    @Test
    void theBenchmarkMeasuresTheEngineNotTheService() {
        // Below it: generation, model, diffusion, training (the step it times); no worker, no Kafka, no command line.
        noClasses().that().resideInAPackage(pkg("benchmark")).should().dependOnClassesThat()
                .resideInAnyPackage(pkg("loadgen"), pkg("cli"), pkg("client"), pkg("worker"), pkg("messaging"),
                        pkg("app"), pkg("storage"), pkg("embedded"), "org.apache.kafka..", "picocli..")
                .check(CLASSES);
    }

    @Test
    void theConsoleShowsProgressForTheCommandLineOnly() {
        // Progress bars and the stop signal of the long commands; the listeners they implement come from below.
        noClasses().that().resideInAPackage(pkg("console")).should().dependOnClassesThat()
                .resideInAnyPackage(pkg("cli"), pkg("worker"), pkg("messaging"), pkg("app"), pkg("storage"),
                        pkg("loadgen"), pkg("benchmark"), pkg("client"), pkg("embedded"), "picocli..")
                .check(CLASSES);
        noClasses().that().resideOutsideOfPackages(pkg("cli"), pkg("console")).should().dependOnClassesThat()
                .resideInAPackage(pkg("console"))
                .check(CLASSES);
    }

    @Test
    void theClientKnowsKafkaAndTheJdkOnly() {
        // What a producer in another service would have: Kafka's clients and Jackson, nothing of the worker's inside.
        classes().that().resideInAPackage(pkg("client")).should().onlyDependOnClassesThat()
                .resideInAnyPackage("java..", "org.apache.kafka.clients..", "org.apache.kafka.common..",
                        "com.fasterxml.jackson..", pkg("client"))
                .check(CLASSES);
        noClasses().that().resideOutsideOfPackages(pkg("cli"), pkg("loadgen"), pkg("client")).should()
                .dependOnClassesThat().resideInAPackage(pkg("client"))
                .check(CLASSES);
    }

    @Test
    void embeddedInfrastructureStandsAlone() {
        // Compiled into main only in the default `embedded` profile; with -Dproduction there is nothing to check.
        classes().that().resideInAPackage(pkg("embedded")).should().onlyDependOnClassesThat()
                .resideInAnyPackage("java..", "javax.net.ssl..", "org.apache.kafka..", "kafka..", "scala..",
                        pkg("embedded"))
                .allowEmptyShould(true)
                .check(CLASSES);
        // Outside it, only the two classes compiled from src/embedded/java (left out of -Dproduction builds).
        noClasses().that().resideOutsideOfPackage(pkg("embedded"))
                .and().doNotHaveSimpleName("EmbeddedLocalInfrastructure")
                .and().doNotHaveSimpleName("DemoCommand")
                .should().dependOnClassesThat().resideInAPackage(pkg("embedded"))
                .check(CLASSES);
    }

    @Test
    void modelBlocksAreMadeByTheirBuilders() {
        // One way to build a block, DJL's: a builder whose build() validates (setX required, optX optional).
        com.tngtech.archunit.lang.syntax.ArchRuleDefinition.constructors().that().areDeclaredInClassesThat()
                .resideInAPackage(pkg("model")).and().areDeclaredInClassesThat().areAssignableTo(ai.djl.nn.Block.class)
                .should().notBePublic().check(CLASSES);
    }
}
