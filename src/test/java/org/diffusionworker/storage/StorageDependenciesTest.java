package org.diffusionworker.storage;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

import org.junit.jupiter.api.Test;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

/**
 * Checked from a plain Jupiter test on purpose: ArchUnit's own JUnit engine (archunit-junit5 1.4.1) discovers no
 * tests on the JUnit 6 platform that Quarkus 3.33 brings, so {@code @ArchTest} rules would silently not run.
 */
class StorageDependenciesTest {

    @Test
    void storageUsesOnlyTheMinioClient() {
        JavaClasses storage = new ClassFileImporter()
                .withImportOption(new ImportOption.DoNotIncludeTests())
                .importPackages("org.diffusionworker.storage");

        // okhttp3: the MinIO client's exceptions expose its HTTP response (for the status code).
        classes().that().resideInAPackage("org.diffusionworker.storage..")
                .should().onlyDependOnClassesThat().resideInAnyPackage(
                        "java..", "org.diffusionworker.storage..", "io.minio..", "okhttp3..", "org.jboss.logging..")
                .check(storage);
    }
}
