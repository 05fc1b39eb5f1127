package io.vigil.dist;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.source.tree.ClassTree;
import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.MethodTree;
import com.sun.source.tree.ModifiersTree;
import com.sun.source.tree.Tree;
import com.sun.source.util.DocTrees;
import com.sun.source.util.JavacTask;
import com.sun.source.util.TreePath;
import com.sun.source.util.TreePathScanner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.lang.model.element.Modifier;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * Every public type, method and constructor of a library module's public packages (everything but
 * {@code *.internal}) has a javadoc comment — the "no comment" part of javac's {@code
 * -Xdoclint:missing}, read with javac's own parser. javac itself cannot enforce just that: its
 * missing group also demands {@code @param}/{@code @return} on every method, which this code base's
 * one-sentence javadoc does not use. The rest of doclint (syntax, HTML, references) runs in the
 * library modules' main compilation (root pom, {@code vigil.doclint}).
 *
 * <p>Methods annotated {@code @Override} inherit their documentation and are not required to have
 * their own, as javadoc does; implicit members (default constructors, record accessors) have no
 * source to document.
 */
class JavadocTest {
    @Test
    void everyPublicTypeMethodAndConstructorOfTheLibrariesHasJavadoc() throws Exception {
        Map<Path, String> libraries = BomTest.libraryModules();
        assertThat(libraries).as("the reactor's library modules").isNotEmpty();

        List<String> missing = new ArrayList<>();
        for (Path module : libraries.keySet()) {
            Path sources = module.resolve("src/main/java");
            if (Files.isDirectory(sources)) {
                missing.addAll(undocumented(sources));
            }
        }
        assertThat(missing)
                .as("public API without javadoc (say what, units, defaults, thread-safety)")
                .isEmpty();
    }

    /** The public declarations under {@code sources} without a doc comment, as {@code file:line: name}. */
    static List<String> undocumented(Path sources) throws Exception {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(sources)) {
            files = walk.filter(f -> f.toString().endsWith(".java")).sorted().toList();
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        List<String> missing = new ArrayList<>();
        try (StandardJavaFileManager fm = javac.getStandardFileManager(null, null, StandardCharsets.UTF_8)) {
            Iterable<? extends JavaFileObject> units = fm.getJavaFileObjectsFromPaths(files);
            // Parsing only: no class path needed, and nothing is compiled.
            JavacTask task = (JavacTask) javac.getTask(null, fm, d -> {}, List.of("-proc:none"), null, units);
            DocTrees docs = DocTrees.instance(task);
            for (CompilationUnitTree unit : task.parse()) {
                String pkg = unit.getPackageName() == null
                        ? ""
                        : unit.getPackageName().toString();
                if (pkg.equals("internal") || pkg.endsWith(".internal") || pkg.contains(".internal.")) {
                    continue;
                }
                new TreePathScanner<Void, Boolean>() {
                    @Override
                    public Void visitClass(ClassTree type, Boolean inInterface) {
                        if (!isApi(type.getModifiers(), inInterface)) {
                            return null; // neither it nor its members are API
                        }
                        check(getCurrentPath(), type.getSimpleName().toString());
                        boolean members =
                                type.getKind() == Tree.Kind.INTERFACE || type.getKind() == Tree.Kind.ANNOTATION_TYPE;
                        for (Tree member : type.getMembers()) {
                            scan(member, members);
                        }
                        return null;
                    }

                    @Override
                    public Void visitMethod(MethodTree method, Boolean inInterface) {
                        boolean overrides = method.getModifiers().getAnnotations().stream()
                                .anyMatch(a -> a.getAnnotationType().toString().endsWith("Override"));
                        if (isApi(method.getModifiers(), inInterface) && !overrides) {
                            String name = method.getName().contentEquals("<init>")
                                    ? "constructor"
                                    : method.getName().toString();
                            check(getCurrentPath(), name + "(…)");
                        }
                        return null; // local and anonymous classes inside are not API
                    }

                    private void check(TreePath path, String name) {
                        if (docs.getDocCommentTree(path) == null) {
                            long line = unit.getLineMap()
                                    .getLineNumber(docs.getSourcePositions().getStartPosition(unit, path.getLeaf()));
                            missing.add(BomTest.ROOT.relativize(
                                            Path.of(unit.getSourceFile().toUri())) + ":" + line + ": " + name);
                        }
                    }
                }.scan(new TreePath(unit), false);
            }
        }
        return missing;
    }

    /** Public, or protected (a subclass's API), or a member of an interface that is not private. */
    private static boolean isApi(ModifiersTree modifiers, boolean inInterface) {
        var flags = modifiers.getFlags();
        return flags.contains(Modifier.PUBLIC)
                || flags.contains(Modifier.PROTECTED)
                || (inInterface && !flags.contains(Modifier.PRIVATE));
    }
}
